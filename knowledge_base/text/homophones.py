"""Homophone typos fixed against the knowledge base's own words: 推货 → 退货, 积份 → 积分, 物六 → 物流.

Chinese IMEs type by sound, so a customer's typo is usually a wrong character of the right sound. A piece
jieba cut from the message (2–4 Chinese characters) that is no word — neither jieba's nor the KB's — and
sounds like exactly one real word of the KB, sharing a character with it, is read as that word. A word
anyone knows is never touched, and a sound two real KB words share is left to the ranking.
"""
from __future__ import annotations

from typing import Callable, Dict, Iterable, List, Optional

from knowledge_base.text.pinyin import char_sound

MIN_CHARS, MAX_CHARS = 2, 4  # a typo'd word's length


def _is_chinese(text: str) -> bool:
    return all("\u3400" <= ch <= "\u9fff" for ch in text)


# The sounds IMEs let customers confuse (模糊音): flat and curled tongue, front and back nasals.
_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"))
_FUZZY_FINALS = (("ang", "an"), ("eng", "en"), ("ing", "in"))


def fuzzy(syllable: str) -> str:
    for curled, flat in _FUZZY_INITIALS:
        if syllable.startswith(curled):
            syllable = flat + syllable[len(curled):]
            break
    for back, front in _FUZZY_FINALS:
        if syllable.endswith(back):
            return syllable[: -len(back)] + front
    return syllable


def sound_of(word: str) -> str:
    """How ``word`` sounds to an IME user: toneless pinyin, confusable sounds merged."""
    return "|".join(fuzzy(char_sound(ch)) for ch in word)


class HomophoneFixer:
    """``fix`` a normalised message. ``kb_words``: the words of the KB's questions; ``is_word``: whether a
    run of characters is a word the segmenter knows; ``cut``: the segmenter's pieces of a text (every
    character kept) — a typo is one whole piece ("推货"): two pieces side by side are two words more often
    than one typo (都|叫 is not 豆角)."""

    def __init__(self, kb_words: Iterable[str], is_word: Callable[[str], bool], cut: Callable[[str], List[str]]):
        self.kb_words = frozenset(w for w in kb_words if MIN_CHARS <= len(w) <= MAX_CHARS and _is_chinese(w))
        sounds: Dict[str, set] = {}
        for word in self.kb_words:
            sounds.setdefault(sound_of(word), set()).add(word)
        self.is_word = is_word
        self.cut = cut
        self.by_sound = {s: meant for s, words in sounds.items() if (meant := self._one_word(words))}

    def fix(self, text: str) -> str:
        pieces = self.cut(text)
        return "".join(self._meant(piece) or piece for piece in pieces)

    def _one_word(self, words: set) -> Optional[str]:
        """The one real word (jieba's or the KB's terms) among the KB words of one sound — 退款, not the typo
        推款 a trainer added as a similar question, nor a run jieba merely guessed; None when not one."""
        real = [w for w in words if self.is_word(w)]
        return real[0] if len(real) == 1 else None

    def _meant(self, run: str) -> Optional[str]:
        """The KB word ``run`` was meant to be, or None."""
        if not MIN_CHARS <= len(run) <= MAX_CHARS or not _is_chinese(run) or run in self.kb_words or self.is_word(run):
            return None
        meant = self.by_sound.get(sound_of(run))
        return meant if meant and any(a == b for a, b in zip(run, meant)) else None  # one syllable mistyped, not all

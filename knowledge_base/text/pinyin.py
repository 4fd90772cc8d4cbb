"""Toneless pinyin of Chinese text, so homophone typos (退宽 → 退款, 发漂 → 发票) still match."""
from __future__ import annotations

from functools import lru_cache
from typing import List, Tuple


def to_pinyin(tokens: List[str]) -> List[str]:
    """Pinyin syllables of the Chinese tokens, in order; other tokens are dropped."""
    out: List[str] = []
    for token in tokens:
        out.extend(_syllables(token))
    return out


@lru_cache(maxsize=200_000)
def _syllables(token: str) -> Tuple[str, ...]:
    """One word's syllables; words repeat, and pypinyin costs ~30 µs a call (a million questions: minutes)."""
    if not any("\u3400" <= ch <= "\u9fff" for ch in token):
        return ()
    from pypinyin import Style, lazy_pinyin

    return tuple(s for s in lazy_pinyin(token, style=Style.NORMAL, errors="ignore") if s.isalpha())


def char_sound(ch: str) -> str:
    """One Chinese character's toneless pinyin (the character itself when it has none)."""
    return "".join(_syllables(ch)) or ch


MIN_SOUND_CHARS = 4  # shorter questions share their sound too often (退款 / 推款 are fine, 发票 / 花瓢 not)


def sound_key(text: str) -> str:
    """``text`` as it sounds: each Chinese character's toneless pinyin, other characters as they are, no
    spaces — what an IME homophone typo ("积份有什么用") shares with the question meant. "" for text with
    fewer than MIN_SOUND_CHARS Chinese characters."""
    chinese = [ch for ch in text if "\u3400" <= ch <= "\u9fff"]
    if len(chinese) < MIN_SOUND_CHARS:
        return ""
    return "".join(char_sound(ch) + "|" if "\u3400" <= ch <= "\u9fff" else ch
                   for ch in text if not ch.isspace())

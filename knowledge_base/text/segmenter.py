"""Word segmentation with a private jieba tokenizer, the KB's own terms, synonyms and stop words.

Never touches the process-global jieba tokenizer: two bots in one process keep separate
dictionaries (a lesson from Rasa's JiebaTokenizer).
"""
from __future__ import annotations

import json
import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

import yaml
from knowledge_base.errors import InvalidInput

from knowledge_base.component import Component

from knowledge_base import safe_yaml

_WORD = re.compile(r"[a-z0-9]+(?:['.][a-z0-9]+)*|[\u3400-\u9fff]+")
_STOP_WORDS_FILE = Path(__file__).with_name("stop_words.txt")


class Segmenter(Component):
    """Cuts normalised text into words; ``fit`` learns the KB's terms and the trainer's dictionary."""

    def __init__(self, user_dictionary: Optional[str] = None, synonyms: Optional[str] = None,
                 extra_stop_words: Iterable[str] = ()):
        self.user_dictionary = user_dictionary
        self.synonyms = synonyms
        self.extra_stop_words = tuple(extra_stop_words)
        self._tokenizer = None
        self._recent = lru_cache(maxsize=256)(self._cut)  # a message is cut for several channels

    # -- learning -------------------------------------------------------------------------------
    def fit(self, terms: Iterable[str] = ()) -> "Segmenter":
        """Collect the KB's terms (keywords), the user dictionary and the synonym map."""
        words: Dict[str, Optional[int]] = {t.strip().casefold(): None for t in terms if t and t.strip()}
        if self.user_dictionary:
            words.update(read_user_dictionary(Path(self.user_dictionary)))
        self.synonyms_ = read_synonyms(Path(self.synonyms)) if self.synonyms else {}
        for term in (*self.synonyms_, *self.synonyms_.values()):  # variants and canonical forms
            words.setdefault(term, None)
        self.words_ = words
        stop = _STOP_WORDS_FILE.read_text(encoding="utf-8").split()
        self.stop_words_ = sorted(set(stop) | {w.casefold() for w in self.extra_stop_words})
        self._stop = frozenset(self.stop_words_)
        self._tokenizer = None
        self._recent = lru_cache(maxsize=256)(self._cut)  # words learned: forget earlier cuts
        return self

    # -- using ----------------------------------------------------------------------------------
    def predict(self, text: str, synonyms: bool = True) -> List[str]:
        """All words of normalised text, synonyms mapped to their canonical form (unless told not to)."""
        self._require_fitted("words_")
        typed = list(self._recent(text))
        return self._canonical(typed) if synonyms else typed

    def _cut(self, text: str) -> Tuple[str, ...]:
        return tuple(word for piece in self._jieba().cut(text.casefold()) for word in _WORD.findall(piece))

    def content_words(self, text: str, synonyms: bool = True) -> List[str]:
        """Words without stop words (falls back to all words if nothing else is left)."""
        return self._content(self.predict(text, synonyms))

    def content_words_both(self, text: str) -> Tuple[List[str], List[str]]:
        """``content_words`` with synonyms mapped and as typed, from one segmentation."""
        typed = self.predict(text, synonyms=False)
        return self._content(self._canonical(typed)), self._content(typed)

    def _canonical(self, words: List[str]) -> List[str]:
        return [self.synonyms_.get(word, _stem(word)) for word in words]

    def _content(self, words: List[str]) -> List[str]:
        kept = [w for w in words if w not in self._stop]
        return kept or words

    def _jieba(self):
        if self._tokenizer is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            for word, freq in self.words_.items():
                tokenizer.add_word(word, freq)
            self._tokenizer = tokenizer
        return self._tokenizer

    def pieces(self, text: str) -> List[str]:
        """jieba's pieces of normalised text, every character kept (spaces and punctuation too)."""
        return list(self._jieba().cut(text))

    def knows(self, word: str) -> bool:
        """A word of jieba's dictionary or of the KB's own terms (a run of characters that means something)."""
        tokenizer = self._jieba()
        tokenizer.check_initialized()
        return word in self.words_ or tokenizer.FREQ.get(word, 0) > 0

    def warm_up(self) -> None:
        self.predict("预热")

    # -- persistence ----------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        self._require_fitted("words_")
        folder.mkdir(parents=True, exist_ok=True)
        state = {"words": self.words_, "synonyms": self.synonyms_, "stop_words": self.stop_words_}
        (folder / "segmenter.json").write_text(json.dumps(state, ensure_ascii=False, indent=0), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "Segmenter":
        state = json.loads((folder / "segmenter.json").read_text(encoding="utf-8"))
        seg = cls()
        seg.words_ = state["words"]
        seg.synonyms_ = state["synonyms"]
        seg.stop_words_ = state["stop_words"]
        seg._stop = frozenset(seg.stop_words_)
        return seg


def _stem(word: str) -> str:
    """Very light English plural stripping ("cards" → "card"); Chinese words pass through."""
    if not word.isascii() or len(word) <= 4 or not word.endswith("s") or word.endswith("ss"):
        return word
    return word[:-3] + "y" if word.endswith("ies") else word[:-1]


def read_user_dictionary(path: Path) -> Dict[str, Optional[int]]:
    """jieba's format: ``word [freq] [pos]`` a line; '#' starts a comment."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: user dictionary not found (segmenter.user_dictionary)")
    words: Dict[str, Optional[int]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split("#", 1)[0].split()
        if not parts:
            continue
        if len(parts) > 1 and not parts[1].isdigit():
            raise InvalidInput(f"{path}:{number}: frequency {parts[1]!r} must be a whole number")
        words[parts[0].casefold()] = int(parts[1]) if len(parts) > 1 else None
    return words


def read_synonyms(path: Path) -> Dict[str, str]:
    """``synonyms: {canonical: [variant, …]}`` → variant → canonical."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: synonym file not found (segmenter.synonyms)")
    try:
        data = safe_yaml.load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}:{safe_yaml.line_of(exc)}: {safe_yaml.describe(exc)}") from None
    groups = data.get("synonyms", data) if isinstance(data, dict) else None
    if not isinstance(groups, dict):
        raise InvalidInput(f"{path}: expected 'synonyms:' mapping canonical words to lists of variants")
    mapping: Dict[str, str] = {}
    for canonical, variants in groups.items():
        if not isinstance(variants, list):
            raise InvalidInput(f"{path}: synonyms of {canonical!r} must be a list")
        for variant in variants:
            mapping[str(variant).casefold()] = str(canonical).casefold()
    return mapping

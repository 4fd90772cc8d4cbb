"""Normalise customer text before anything else sees it.

NFKC (full-width → half-width), traditional → simplified (OpenCC), case folding, removal of
noise that real logs carry: emoji, control characters, stray quotes, runs of punctuation; and
numbers masked (``entities.mask_numbers``): an order number is nothing to match, in a KB question
or in a message.
"""
from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Iterable, List

from knowledge_base.component import Component
from knowledge_base.text.entities import mask_numbers

_CONTROL = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202f\u2060-\u206f\ufeff]")
_LONE_SURROGATES = re.compile("[\ud800-\udfff]")
_EMOJI = re.compile(
    "[\U0001F000-\U0001FAFF\U00002600-\U000027BF\U0001F900-\U0001F9FF\uFE0F\u20E3\U000E0000-\U000E007F]"
)
_QUOTES = re.compile(r"[\"'`“”‘’「」『』]")
_PUNCT_RUN = re.compile(r"([!?,.;:~。！？，、；：…—\-_=*#])\1+")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


class Normalizer(Component):
    """Stateless text normaliser; ``fit`` only records that it is ready (the shared component contract)."""

    def __init__(self, traditional_to_simplified: bool = True, masks_numbers: bool = True):
        self.traditional_to_simplified = traditional_to_simplified
        self.masks_numbers = masks_numbers

    def fit(self, texts=None) -> "Normalizer":
        self.fitted_ = True
        return self

    def predict(self, texts: Iterable) -> List[str]:
        """Each text normalised; None and non-text values become text, never an error."""
        self._require_fitted("fitted_")
        return [_normalised(_as_text(t), self.traditional_to_simplified, self.masks_numbers) for t in texts]

    def save(self, folder: Path) -> None:
        self._require_fitted("fitted_")
        folder.mkdir(parents=True, exist_ok=True)
        params = {"traditional_to_simplified": self.traditional_to_simplified, "masks_numbers": self.masks_numbers}
        (folder / "normalizer.json").write_text(json.dumps(params))

    @classmethod
    def load(cls, folder: Path) -> "Normalizer":
        return cls(**json.loads((folder / "normalizer.json").read_text())).fit()


def _as_text(value) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


@lru_cache(maxsize=1024)  # one message is normalised by several parts of the bot, ~60 µs each time
def _normalised(text: str, traditional_to_simplified: bool, masks_numbers: bool = True) -> str:
    text = _LONE_SURROGATES.sub(" ", text)  # half a UTF-16 pair: not text, and no encoder takes it
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub(" ", text)
    text = _EMOJI.sub(" ", text)
    text = _QUOTES.sub(" ", text)
    if traditional_to_simplified and _has_cjk(text):
        text = _t2s().convert(text)
    text = text.casefold()
    if masks_numbers:
        text = mask_numbers(text)
    text = _PUNCT_RUN.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)

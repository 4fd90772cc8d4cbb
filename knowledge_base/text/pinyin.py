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

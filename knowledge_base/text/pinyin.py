"""Toneless pinyin of Chinese text, so homophone typos (退宽 → 退款, 发漂 → 发票) still match."""
from __future__ import annotations

from typing import List


def to_pinyin(tokens: List[str]) -> List[str]:
    """Pinyin syllables of the Chinese tokens, in order; other tokens are dropped."""
    from pypinyin import Style, lazy_pinyin

    out: List[str] = []
    for token in tokens:
        if any("\u3400" <= ch <= "\u9fff" for ch in token):
            out.extend(s for s in lazy_pinyin(token, style=Style.NORMAL, errors="ignore") if s.isalpha())
    return out

"""A message cut into clauses: where a long story hides its question, or one message asks several.

Customers write "上周买的碗…打开一看碎了两个…这种情况我该怎么处理呢" or "怎么开专票 顺便问下几天能发货".
Each clause can then be scored on its own. Cuts are made at sentence and clause punctuation, at
spaces between words (how people separate thoughts in a chat box), and before the words that
open another question (顺便, 另外, 请问 …), which are dropped.
"""
from __future__ import annotations

import re
from typing import List

# Words that open another question; matched longest first, dropped from the clause they open.
CONNECTIVES = ("顺便问一下", "顺便问下", "顺便问问", "顺便", "另外", "还想问一下", "还想问下", "还想问", "再问一下",
               "再问下", "我想问一下", "我想问下", "我想问问", "想问一下", "想问下", "想问问", "请问一下", "请问",
               "对了", "还有就是", "还有个问题", "然后")
_CUT = re.compile("|".join([r"[,.!?;。！？，、；~…\n]+", r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])",
                            *sorted(CONNECTIVES, key=len, reverse=True)]))
MIN_CLAUSE_CHARS = 2  # "嗯", "亲": nothing to score


def split_clauses(text: str) -> List[str]:
    """The clauses of a normalised message, in order; short fragments are left out."""
    parts = (part.strip() for part in _CUT.split(text))
    return [part for part in parts if len(part) >= MIN_CLAUSE_CHARS]

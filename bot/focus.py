"""Which words of a message are its question: the whole message, one of its clauses, or several.

A long message is mostly story ("上周买的碗碟…今天打开碎了两个…") around one question ("这种情况我该怎么
处理呢"); the story's words pull the ranking every way and the whole message falls under the
thresholds. So a message of several clauses is scored whole, clause by clause and two neighbouring
clauses at a time (a question leaning on the clause before it: "怎么约安装 要不要钱"), in the same
encoder batch, and the candidate the bot understands best is taken as the question. The single
clauses travel on as the ``parts`` of the analysis: the decision answers two or three of them when
each is a confident question of its own ("会员包邮吗 积分能抵现吗").
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable, List, Sequence

from knowledge_base.text.clauses import split_clauses

from bot.decision import Analysis

WHOLE_EDGE = 0.1  # answer confidence a clause must add over the whole message to be taken for the question
MAX_CLAUSES = 8  # scored one by one; a longer message keeps its last ones (the question comes last)


def candidates(text: str) -> List[str]:
    """What to score for a normalised message: itself, then (with two clauses or more) each clause,
    then each two neighbouring clauses."""
    clauses = split_clauses(text)[-MAX_CLAUSES:]
    if len(clauses) < 2:
        return [text]
    return [text, *clauses, *(f"{a} {b}" for a, b in zip(clauses, clauses[1:]))]


def focused(scored: Sequence[Analysis], small_talk: Callable[[Analysis], bool],
            confident: Callable[[Analysis], bool]) -> Analysis:
    """The analysis of the best-understood candidate (``scored``: in ``candidates`` order), carrying
    the single clauses as ``parts``. A greeting or thanks beside a question ("在吗", "谢谢") is never
    taken for it, nor a bare topic ("这个订单"); a clause replaces the whole message only when it would
    be answered on its own at full confidence (``confident``) and is understood clearly better
    (WHOLE_EDGE): the more candidates, the likelier one scores high by chance."""
    whole, rest = scored[0], list(scored[1:])
    if not rest or whole.exact:  # a KB question word for word is that question, whatever its clauses match
        return whole
    singles = rest[:(len(rest) + 1) // 2]
    questions = [a for a in rest if not small_talk(a) and not a.keyword and confident(a)]
    best = max([whole, *questions], key=lambda a: (a.exact, a.answer_confidence + (WHOLE_EDGE if a is whole else 0)))
    parts = tuple(a for a in singles if not small_talk(a) and not a.keyword)
    return replace(best, text=whole.text, vector=whole.vector, parts=parts)

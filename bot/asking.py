"""Whether a message asks something: a question is answered, a statement ("我的订单号是 2026") is passed on."""
from __future__ import annotations

import re

QUESTION = re.compile(
    r"[?？]|吗|么|呢|怎|如何|什么|啥|哪|几|多少|多久|多长|能否|能不能|可不可以|可以吗|是否|为什么|为啥|咋|有没有|"
    r"^(how|what|when|where|why|who|which|can|could|do|does|did|is|are|will|would|should)\b", re.IGNORECASE)


def is_question(text: str) -> bool:
    return bool(QUESTION.search(text.strip()))

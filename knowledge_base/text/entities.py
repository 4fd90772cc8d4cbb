"""Numbers a customer types — order and tracking numbers, phone numbers, long digit runs, the
fields of a pasted order card — found as entities and masked for matching.

A question about an order reads the same whatever its number: "订单 3021887765 退款到哪一步了" is
"订单 # 退款到哪一步了". Digits nobody asks about dilute every channel (characters, words, pinyin, the
encoder) and push a clear question under the thresholds, so the matcher never sees them; the values
go on as entities, for the agent taking over and for answers that look things up. The patterns
read NFKC text: full-width digits (１２３) are ordinary digits by then.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import List, Tuple

PLACEHOLDER = "#"  # what a masked number becomes: one neutral token, the same in questions and messages

# "订单编号: 123 订单金额: ￥59 下单时间: 2025-03-18" — the card a shop's chat pastes for an order. Two
# fields or more are a pasted card, dropped whole; one ("订单号: 123") is the customer's own words.
_CARD_FIELD = re.compile(
    r"(?P<label>(?:订单|运单|快递|物流|售后|服务)?(?:编号|单号)|订单号|订单金额|金额|下单时间|付款时间|商品(?:id|编号|号))"
    r"\s*[:：]\s*(?P<value>[￥¥$]?(?:\d[\w\-./:]*)?)", re.IGNORECASE)
_NUMBERS: Tuple[Tuple[str, re.Pattern], ...] = (
    ("phone", re.compile(r"(?<![0-9a-z.])(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?![0-9a-z.])")),
    # letters then digits: SF1234567890, JD0012345678 (courier waybills, platform order ids)
    ("tracking_number", re.compile(r"(?<![a-z0-9])[a-z]{1,4}\d{8,}(?![a-z0-9])", re.IGNORECASE)),
    # 6 digits or more, perhaps grouped: order, after-sale and waybill numbers, dates written 20250318
    ("number", re.compile(r"(?<![0-9a-z.])\d(?:[- ]?\d){5,}(?![0-9a-z.])")),
)
_CARD_KINDS = (("金额", "amount"), ("时间", "date"), ("商品", "product"))
# An identifier's label before its number, or left with an empty value ("订单号: "): it names the number
# (the courier's or the after-sale's kind before it, 快递 / 售后, stays: that says what the number is about).
_ID_LABEL = re.compile(r"(?:咨询|查询)?(?:订单编号|订单号|运单号|编号|单号)(?:是|为)?\s*"
                       r"(?:[:：]\s*(?=[#\s;；,，]|$)|(?=#))", re.IGNORECASE)


@dataclass(frozen=True)
class Entity:
    kind: str  # phone | tracking_number | number | order_field | amount | date | product
    value: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "value": self.value}


def find_entities(text: str) -> Tuple[Entity, ...]:
    """The numbers and order-card fields in ``text`` (raw or normalised), in the order they appear."""
    return _scan(unicodedata.normalize("NFKC", text or ""))[1]


def mask_numbers(text: str) -> str:
    """``text`` (NFKC already) with each number replaced by PLACEHOLDER and order-card fields dropped,
    so that only the words around them are matched."""
    return _scan(text)[0]


def _scan(text: str) -> Tuple[str, Tuple[Entity, ...]]:
    found: List[Entity] = []
    fields = list(_CARD_FIELD.finditer(text)) if ":" in text or "：" in text else []
    if len(fields) > 1:
        found += [Entity(_card_kind(m.group("label")), m.group("value")) for m in fields if _has_digit(m.group("value"))]
        text = _CARD_FIELD.sub(" ", text)

    def number(kind: str):
        def masked(m: re.Match) -> str:
            found.append(Entity(kind, re.sub(r"[- ]", "", m.group())))
            return f" {PLACEHOLDER} "
        return masked

    for kind, pattern in _NUMBERS:
        text = pattern.sub(number(kind), text)
    return " ".join(_without_labels(text).split()), tuple(found)


def _without_labels(text: str) -> str:
    """``text`` without the labels of the identifiers it gives ("订单号 # 退款到哪一步了" → "# 退款到哪一步了",
    "订单号: 降价了" → "降价了"): a label names the number, it is not the question. Kept when nothing else is said."""
    rest = _ID_LABEL.sub(" ", text)
    return rest if rest.replace(PLACEHOLDER, "").strip(" ,，.。;；:：!！?？") else text


def _has_digit(value: str) -> bool:
    return any(ch.isdigit() for ch in value or "")


def _card_kind(label: str) -> str:
    return next((kind for word, kind in _CARD_KINDS if word in label), "order_field")

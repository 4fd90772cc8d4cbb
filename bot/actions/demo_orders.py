"""The demo shop's order service: what a business's own order system would answer, made up from the number.

``faqbot serve`` on the demo config (``actions.demo_service: true``) serves it at
``/demo/orders/{number}``, so ``bash run.sh`` answers "帮我查下这单到哪了 202611230001" with its status
through a real, signed HTTP call. Numbers are 12 digits starting 2026; others are not found.
"""
from __future__ import annotations

import re
from typing import Optional

_NUMBER = re.compile(r"^2026\d{8}$")
_STATES = (  # (status, carrier, waybill prefix, eta, amount)
    ("已发货，运输中", "顺丰速运", "SF", "明天 18:00 前", 259.0),
    ("待发货（仓库拣货中）", "京东物流", "JD", "预计 2 天内发出", 89.0),
    ("派送中", "中通快递", "ZT", "今天 20:00 前", 1299.0),
    ("已签收", "圆通速递", "YT", "已送达", 45.5),
)


def order(number: str) -> Optional[dict]:
    """The demo order ``number`` (None: no such order)."""
    if not _NUMBER.match(number):
        return None
    status, carrier, prefix, eta, amount = _STATES[(int(number[-4:]) - 1) % len(_STATES)]
    return {"order_number": number, "status": status, "carrier": carrier, "tracking_number": f"{prefix}{number[-10:]}",
            "eta": eta, "amount": amount}


def refund(number: str, amount: float) -> Optional[dict]:
    """A refund of ``amount`` started on the demo order (None: no such order; ValueError: more than it cost)."""
    found = order(number)
    if found is None:
        return None
    if not 0 < amount <= found["amount"]:
        raise ValueError(f"a refund of {amount:g} on an order of {found['amount']:g}")
    return {"order_number": number, "refund_id": f"RF{number[-8:]}", "status": "退款已受理，1-3个工作日原路退回",
            "amount": amount}

"""Customer attributes a lookup may trust: signed by the host page's backend with a shared secret.

The widget passes whatever the page gives it (``data-attributes``), and a page is the customer's to
edit: ``{"recent_order": "<someone else's order>"}`` must not look up someone else's order. So the
shop's backend, which knows who is signed in, signs what it puts on the page::

    signed_at = str(int(time.time()))
    payload = json.dumps(attributes, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    signature = "sha256=" + hmac.new(secret, f"{signed_at}.{payload}".encode(), sha256).hexdigest()
    attributes = dict(attributes, signed_at=signed_at, signature=signature)

and faqbot checks it (``FAQBOT_ATTRIBUTES_SECRET``, fresh for MAX_AGE_SECONDS). Unsigned or forged
attributes still reach agents and transfer rules as before; lookups do not read them — unless
``actions.unsigned_attributes`` says this page is trusted (the static demo shop cannot sign).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Mapping, Optional

SIGNATURE, SIGNED_AT = "signature", "signed_at"
MAX_AGE_SECONDS = 24 * 3600  # a page stays open for hours; a signature copied from yesterday's page is stale


def sign_attributes(secret: str, attributes: Mapping[str, object], signed_at: str) -> str:
    payload = json.dumps({k: v for k, v in attributes.items() if k not in (SIGNATURE, SIGNED_AT)},
                         ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return "sha256=" + hmac.new(secret.encode(), f"{signed_at}.{payload}".encode(), hashlib.sha256).hexdigest()


def trusted_attributes(attributes: Optional[Mapping[str, object]], secret: str, unsigned: bool = False,
                       now: Optional[float] = None) -> dict:
    """The attributes without their signature when it is right and fresh (or ``unsigned`` is allowed); else {}."""
    attributes = dict(attributes or {})
    signature, signed_at = str(attributes.pop(SIGNATURE, "") or ""), str(attributes.pop(SIGNED_AT, "") or "")
    if unsigned and not signature:
        return attributes
    try:
        fresh = abs((now or time.time()) - float(signed_at)) <= MAX_AGE_SECONDS
    except ValueError:
        return {}
    right = bool(secret) and hmac.compare_digest(sign_attributes(secret, attributes, signed_at), signature)
    return attributes if fresh and right else {}

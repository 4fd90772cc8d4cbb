"""The demo shop's order service as an HTTP route (``actions.demo_service``), checking faqbot's signature
the way a business's own service would (docs/actions.md, "Verifying calls")."""
from __future__ import annotations

import json
from typing import Optional

from fastapi import APIRouter, Header, HTTPException, Request

from bot.actions.demo_orders import order, refund
from handoff.webhooks import verify


def demo_orders_router(secret: str) -> APIRouter:
    router = APIRouter(tags=["demo"], include_in_schema=False)

    @router.get("/demo/orders/{number}")
    def demo_order(number: str, request: Request, x_faqbot_timestamp: Optional[str] = Header(None),
                   x_faqbot_signature: Optional[str] = Header(None)) -> dict:
        if secret and not verify(secret, x_faqbot_timestamp or "", b"", x_faqbot_signature or "", "GET",
                                 request.url.path):
            raise HTTPException(401, "bad or missing signature")
        found = order(number)
        if found is None:
            raise HTTPException(404, f"no order {number}")
        return found

    @router.post("/demo/orders/{number}/refund")
    async def demo_refund(number: str, request: Request, x_faqbot_timestamp: Optional[str] = Header(None),
                          x_faqbot_signature: Optional[str] = Header(None)) -> dict:
        body = await request.body()
        if secret and not verify(secret, x_faqbot_timestamp or "", body, x_faqbot_signature or "", "POST",
                                 request.url.path):
            raise HTTPException(401, "bad or missing signature")
        try:
            started = refund(number, float(json.loads(body or b"{}").get("amount", 0)))
        except (ValueError, AttributeError) as exc:
            raise HTTPException(422, str(exc))
        if started is None:
            raise HTTPException(404, f"no order {number}")
        return started

    return router

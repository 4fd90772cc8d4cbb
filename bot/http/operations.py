"""What operators and load balancers ask: liveness, readiness and Prometheus metrics."""
from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from bot.service.conversations import Conversations
from bot.service.live import LiveVersion
from bot.service.metrics import CONTENT_TYPE


def operations_router(conversations: Conversations, versions: Optional[LiveVersion]) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(conversations.metrics.render(), media_type=CONTENT_TYPE)

    @router.get("/health", summary="Liveness")
    def health() -> dict:
        return {"status": "ok"}

    @router.get("/ready", summary="Readiness: the model is loaded")
    def ready() -> dict:
        live = conversations.bot
        if not live.kb:
            raise HTTPException(503, "no knowledge base loaded")
        return {"status": "ready", "entries": len(live.kb), "encoder": live.manifest.get("encoder"),
                "kb_hash": live.manifest.get("kb_hash"), "version": versions.current if versions else None}

    return router

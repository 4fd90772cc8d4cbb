"""Customers' pictures and files: sent by the widget (the raw bytes as the body), read back by the customer
and by the agent who has the conversation. Served with the stored, checked type and a policy that runs nothing."""
from __future__ import annotations

from typing import Optional
from urllib.parse import quote

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from bot.http.gatekeeper import Gatekeeper, address
from bot.service.attachments import Attachments

UPLOADS = "/api/attachments"  # bounds its body itself (bot/http/request_limits.py own_limits)
SAFE = {"Content-Security-Policy": "default-src 'none'; sandbox", "Cache-Control": "private, max-age=3600"}


def attachments_router(files: Attachments, gate: Gatekeeper) -> APIRouter:
    router = APIRouter(tags=["customers"])

    @router.post(UPLOADS, summary="A picture or PDF from the customer (the file's bytes as the body)")
    async def upload(request: Request, session_id: str = Query(..., max_length=128), name: str = Query("", max_length=200),
                     x_session_token: Optional[str] = Header(None)) -> dict:
        gate.limit(session_id, address(request))
        gate.owner(session_id, x_session_token)
        data = await _body(request, files.settings.max_file_bytes)
        return await run_in_threadpool(files.receive, session_id, data, name)

    @router.get("/api/sessions/{session_id}/attachments/{attachment_id}", summary="A file the customer sent")
    def read(session_id: str, attachment_id: int, x_session_token: Optional[str] = Header(None),
             token: Optional[str] = Query(None, description="the session token, for an <img> that sends no header")):
        gate.owner(session_id[:128], x_session_token or token)
        return served(files.get(attachment_id, session_id[:128]))

    return router


def served(row: dict) -> Response:
    """The stored bytes with their checked type: a picture shown, a PDF downloaded; scripts never run."""
    inline = row["content_type"].startswith("image/")
    ascii_name = row["name"].encode("ascii", "ignore").decode() or "file.pdf"
    disposition = "inline" if inline else f'attachment; filename="{ascii_name}"; filename*=UTF-8\'\'{quote(row["name"])}'
    return Response(row["data"], media_type=row["content_type"], headers=dict(SAFE, **{"Content-Disposition": disposition}))


async def _body(request: Request, limit: int) -> bytes:
    """The body, refused (413) as soon as it passes ``limit``: nothing larger is ever held."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"files may be at most {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"files may be at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)

"""Request bodies are bounded before anything parses them: too large → 413, JSON nested deeper
than any real request → 422. A plain ASGI middleware (WebSocket frames are bounded in the route)."""
from __future__ import annotations

import json
from typing import Sequence

BODY_METHODS = {"POST", "PUT", "PATCH"}


class RequestLimits:
    def __init__(self, app, max_bytes: int, max_json_depth: int, own_limits: Sequence[str] = ()):
        """``own_limits``: path prefixes that bound their bodies themselves (uploads)."""
        self.app = app
        self.max_bytes = max_bytes
        self.max_json_depth = max_json_depth
        self.own_limits = tuple(own_limits)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS or scope["path"].startswith(self.own_limits):
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            return await _refuse(send, 413, f"request body over {self.max_bytes} bytes")
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body.extend(message.get("body", b""))
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                return await _refuse(send, 413, f"request body over {self.max_bytes} bytes")
        if json_depth(bytes(body), self.max_json_depth) > self.max_json_depth:
            return await _refuse(send, 422, f"JSON nested deeper than {self.max_json_depth} levels")
        await self.app(scope, _replay(bytes(body), receive), send)


def json_depth(body: bytes, enough: int) -> int:
    """The deepest nesting of [ and { outside strings (stops counting past ``enough``)."""
    if body.count(b"[") + body.count(b"{") <= enough:
        return 0
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > enough:
                return deepest
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _replay(body: bytes, receive):
    sent = False

    async def replayed():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def _refuse(send, status: int, detail: str) -> None:
    payload = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})

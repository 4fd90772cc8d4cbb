"""Security headers on every response; a content security policy on the pages.

The pages (workspace, workbench, dashboard, the sample shop) load nothing from elsewhere: the policy
says so, so injected markup could not pull in a script or send data to another host. Scripts come
only from the server's own files (no inline script); the only sockets a page may open are to the
server's own WebSocket origin (the Host the page was served from, ws: or wss: as a TLS proxy may
front it). Inline styles stay allowed: the pages use style attributes, and a style cannot run script.
A plain ASGI middleware: it adds headers to the response start and costs nothing else.
"""
from __future__ import annotations

import re

PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data: blob:; connect-src 'self'{sockets}; frame-ancestors 'none'; "
               "base-uri 'none'; form-action 'self'; object-src 'none'")
EVERY_RESPONSE = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"strict-origin-when-cross-origin")]
UNRESTRICTED = ("/docs", "/redoc")  # the API docs load their script from a CDN
_HOST = re.compile(rb"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


def page_headers(host: bytes) -> list:
    """The policy for a page served to ``host`` (the request's Host header; an odd one names no socket)."""
    sockets = f" ws://{host.decode()} wss://{host.decode()}" if _HOST.match(host or b"") else ""
    return [(b"content-security-policy", PAGE_POLICY.format(sockets=sockets).encode()), (b"x-frame-options", b"DENY")]


class SecurityHeaders:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        page_allowed = not scope["path"].startswith(UNRESTRICTED)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", [])) + EVERY_RESPONSE
                if page_allowed and any(k == b"content-type" and v.startswith(b"text/html") for k, v in headers):
                    headers += page_headers(dict(scope.get("headers") or []).get(b"host", b""))
                message = dict(message, headers=headers)
            await send(message)

        await self.app(scope, receive, with_headers)

"""Security headers on every response; a content security policy on the pages.

The pages (workspace, workbench, dashboard, the sample shop) load nothing from elsewhere: the policy
says so, so injected markup could not pull in a script or send data to another host. A plain ASGI
middleware: it adds headers to the response start and costs nothing else.
"""
from __future__ import annotations

PAGE_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data: blob:; connect-src 'self' ws: wss:; frame-ancestors 'none'; "
               "base-uri 'none'; form-action 'self'; object-src 'none'")
EVERY_RESPONSE = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"strict-origin-when-cross-origin")]
PAGES = [(b"content-security-policy", PAGE_POLICY.encode()), (b"x-frame-options", b"DENY")]
UNRESTRICTED = ("/docs", "/redoc")  # the API docs load their script from a CDN


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
                    headers += PAGES
                message = dict(message, headers=headers)
            await send(message)

        await self.app(scope, receive, with_headers)

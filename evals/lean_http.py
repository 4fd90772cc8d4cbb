"""A minimal HTTP/1.1 keep-alive client for the load test: one connection, one request at a time.

httpx costs ~1 ms of CPU per request, and the load generator shares the two cores of the server it
measures: what it spends, the server cannot. This client does only what the test needs: a POST with
a JSON body, the status, Content-Length framing and the JSON reply. Anything else (a chunked reply,
a malformed one, a closed connection) is raised, and the test counts it as an error.
"""
from __future__ import annotations

import asyncio
import json
from typing import Optional, Tuple
from urllib.parse import urlsplit


class HttpConnection:
    def __init__(self, base: str, timeout: float = 30):
        url = urlsplit(base)
        self.host, self.port, self.timeout = url.hostname, url.port or 80, timeout
        self._reader: Optional[asyncio.StreamReader] = None
        self._writer: Optional[asyncio.StreamWriter] = None

    async def post_json(self, path: str, payload: dict, headers: Optional[dict] = None) -> Tuple[int, object]:
        """(status, parsed JSON body). On any failure the connection is closed (its state is unknown)."""
        body = json.dumps(payload, ensure_ascii=False).encode()
        head = [f"POST {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Content-Type: application/json",
                f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in (headers or {}).items())]
        try:
            return await asyncio.wait_for(self._exchange("\r\n".join(head).encode() + b"\r\n\r\n" + body),
                                          self.timeout)
        except BaseException:
            self.close()
            raise

    async def _exchange(self, request: bytes) -> Tuple[int, object]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        self._writer.write(request)
        head = (await self._reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        fields = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in head[1:])}
        if "content-length" not in fields:
            raise ValueError(f"a reply without Content-Length ({fields.get('transfer-encoding', 'unframed')})")
        body = await self._reader.readexactly(int(fields["content-length"]))
        if fields.get("connection", "").lower() == "close":
            self.close()
        return status, json.loads(body) if body else None

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._reader = self._writer = None

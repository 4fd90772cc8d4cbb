"""Read timeouts for request headers and bodies: a client that sends them too slowly is cut off.

uvicorn waits as long as a client keeps sending, however slowly: a "slowloris" dribbling one header
line every few seconds (or a body one byte at a time) holds a connection — and its memory — open
for as long as it likes, and a few hundred of them starve the server. The HTTP protocol class here
gives each request ``server.header_timeout_seconds`` from its first byte (or from the connection
opening) to finish its headers, then ``server.body_timeout_seconds`` to finish its body; past either
it answers 408 and closes the connection. A connection upgraded to a WebSocket is no longer timed
here (its frames are bounded by ``server.max_request_bytes``).
"""
from __future__ import annotations

import asyncio
from typing import Optional

from uvicorn.protocols.http.auto import AutoHTTPProtocol

_TOO_SLOW = b"request headers or body sent too slowly\n"
TIMED_OUT = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
             b"content-length: " + str(len(_TOO_SLOW)).encode() + b"\r\n\r\n" + _TOO_SLOW)


def with_read_timeouts(header_seconds: float, body_seconds: float, base: type = AutoHTTPProtocol) -> type:
    """uvicorn's HTTP protocol (``base``) with header and body read timeouts; pass it as ``http=``."""

    class TimedHTTPProtocol(base):
        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            self._read_timer: Optional[asyncio.TimerHandle] = None
            self._timing = ""  # "headers" | "body" | "" (nothing is being waited for)
            self._timed_cycle = self.cycle
            self._expect("headers", header_seconds)  # even the first byte must come within the header timeout

        def data_received(self, data: bytes) -> None:
            if not self._timing and (self.cycle is None or not self.cycle.more_body):
                self._expect("headers", header_seconds)  # these bytes start the next request
            super().data_received(data)
            if self.transport.get_protocol() is not self:  # upgraded to a WebSocket: not ours to time
                self._expect("", 0)
            elif self.cycle is not self._timed_cycle:  # a request's headers are complete
                self._timed_cycle = self.cycle
                self._expect("body", body_seconds) if self.cycle.more_body else self._expect("", 0)
            elif self._timing == "body" and not self.cycle.more_body:  # and now its body
                self._expect("", 0)

        def connection_lost(self, exc: Optional[Exception]) -> None:
            self._expect("", 0)
            super().connection_lost(exc)

        def _expect(self, what: str, seconds: float) -> None:
            """Wait ``seconds`` for ``what`` ("": stop waiting)."""
            if self._read_timer is not None:
                self._read_timer.cancel()
            self._timing = what
            self._read_timer = self.loop.call_later(seconds, self._too_slow) if what else None

        def _too_slow(self) -> None:
            waited, self._read_timer, self._timing = self._timing, None, ""
            if self.transport.is_closing() or self.transport.get_protocol() is not self:
                return
            if waited == "headers" or not self.cycle.response_started:  # nothing of this request answered yet
                self.transport.write(TIMED_OUT)
            self.transport.close()

    TimedHTTPProtocol.__name__ = f"Timed{base.__name__}"
    return TimedHTTPProtocol


def uvicorn_limits(settings, keep_alive: int) -> dict:
    """uvicorn's settings for the limits of ``server:`` (bot.config.ServerConfig), in one process or each worker:
    WebSocket frames held to the HTTP body limit (uvicorn's default takes 16 MB), header and body timeouts."""
    return dict(timeout_keep_alive=keep_alive, ws_max_size=settings.max_request_bytes,
                http=with_read_timeouts(settings.header_timeout_seconds, settings.body_timeout_seconds))

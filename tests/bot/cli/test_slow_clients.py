"""Slow clients are cut off (issue 24, finding 13): a raw socket dribbling its headers or its body — a
slowloris — gets 408 and is closed by `faqbot serve` after server.header_timeout_seconds /
body_timeout_seconds, in one process and with --workers 2; a normal client is still answered."""
import json
import socket
import time

import httpx
import pytest
from websockets.sync.client import connect

from tests.conftest import REDIS_URL, redis_namespace
from tests.processes import start_worker, stop, write_config

HEADER_SECONDS, BODY_SECONDS = 1.5, 2.0
DRIBBLE_EVERY = 0.3  # well inside each timeout: a server timing single reads would never close


@pytest.fixture(scope="module", params=["one process", "two workers"])
def server(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("slow")
    with redis_namespace() as prefix:
        config = write_config(folder, server={"header_timeout_seconds": HEADER_SECONDS,
                                              "body_timeout_seconds": BODY_SECONDS, "redis_prefix": prefix})
        workers = ("--workers", "2", "--redis", REDIS_URL) if request.param == "two workers" else ()
        process, base = start_worker(config, str(folder / "faqbot.sqlite3"), folder / "serve.log", *workers)
        yield base
        stop(process)


def dribble(base: str, opening: bytes, drip: bytes, limit: float) -> tuple:
    """Send ``opening``, then ``drip`` every DRIBBLE_EVERY s until the server closes the connection (or ``limit``
    s pass): (what the server sent, seconds from the first byte until it closed; None: it never did)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as raw:
        raw.settimeout(DRIBBLE_EVERY)
        started, received = time.monotonic(), b""
        raw.sendall(opening)
        while time.monotonic() - started < limit:
            try:
                chunk = raw.recv(4096)
            except socket.timeout:
                try:
                    raw.sendall(drip)
                except OSError:  # the server closed while we were sending
                    return received, time.monotonic() - started
                continue
            except ConnectionResetError:
                return received, time.monotonic() - started
            if not chunk:
                return received, time.monotonic() - started
            received += chunk
    return received, None


def test_dribbled_headers_get_408_and_the_connection_closed(server):
    received, closed_after = dribble(server, b"GET /health HTTP/1.1\r\nHost: x\r\n", b"X-Slow: 1\r\n",
                                     limit=10 * HEADER_SECONDS)
    assert closed_after is not None, "the server kept a slowloris connection open"
    assert received.startswith(b"HTTP/1.1 408")
    assert closed_after >= HEADER_SECONDS * 0.9  # the client had its full time


def test_a_dribbled_body_gets_408_and_the_connection_closed(server):
    opening = (b"POST /api/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Content-Length: 100000\r\n\r\n{\"session_id\": \"slow\", \"text\": \"")
    received, closed_after = dribble(server, opening, b"a", limit=10 * (HEADER_SECONDS + BODY_SECONDS))
    assert closed_after is not None, "the server kept a slow body open"
    assert received.startswith(b"HTTP/1.1 408")


def test_a_connection_that_sends_nothing_is_closed(server):
    received, closed_after = dribble(server, b"", b"", limit=10 * HEADER_SECONDS)
    assert closed_after is not None and received.startswith(b"HTTP/1.1 408")


def test_normal_requests_and_sockets_are_unaffected(server):
    with httpx.Client(base_url=server, timeout=30) as client:  # keep-alive: several requests on one connection
        for text in ("怎么退货", "运费怎么算"):
            assert client.post("/api/messages", json={"session_id": f"fine-{text}", "text": text}).status_code == 200
    with connect(server.replace("http://", "ws://") + "/ws/fine-socket") as ws:
        # a connection opened after the socket, sending nothing, is cut off first: the socket outlived the timeout
        assert dribble(server, b"", b"", limit=10 * HEADER_SECONDS)[1] is not None
        ws.send(json.dumps({"text": "怎么退货"}))
        assert json.loads(ws.recv(timeout=30))["type"] == "bot"

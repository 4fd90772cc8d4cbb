"""A stand-in for a shop's order service, as a real local HTTP server: answers, is slow, fails, or refuses
calls without faqbot's signature — whatever a test sets ``mode`` to."""
from __future__ import annotations

import json
import threading
import urllib.parse
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bot.actions.demo_orders import order
from handoff.webhooks import verify
from tests.conftest import free_port

SECRET = "order-service-secret"


class OrderService:
    def __init__(self, secret: str = SECRET):
        self.secret = secret
        self.mode = "ok"  # ok | slow | error
        self.hits = 0
        self.released = threading.Event()  # slow calls wait for this (or give up after 10 s)
        self.waiting = 0  # slow calls waiting now
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/orders/{{order_number}}"

    def handler(self):
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                service.hits += 1
                path = urllib.parse.urlsplit(self.path).path
                signed = not service.secret or verify(service.secret, self.headers.get("X-Faqbot-Timestamp", ""), b"",
                                self.headers.get("X-Faqbot-Signature", ""), "GET", path)
                if not signed:
                    return self._send(401, {"error": "bad signature"})
                if service.mode == "slow":
                    service.waiting += 1
                    service.released.wait(10)
                    service.waiting -= 1
                if service.mode == "error":
                    return self._send(500, {"error": "database down"})
                found = order(urllib.parse.unquote(path.rsplit("/", 1)[-1]))
                self._send(200 if found else 404, found or {"error": "no such order"})

            def _send(self, status, body):
                data = json.dumps(body, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the caller gave up (a timeout test)

            def log_message(self, *args):
                pass

        return Handler


@contextmanager
def order_service(secret: str = SECRET):
    service = OrderService(secret)
    server = ThreadingHTTPServer(("127.0.0.1", service.port), service.handler())
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield service
    finally:
        service.released.set()
        server.shutdown()
        server.server_close()


def actions_config(url: str, **call):
    """The demo config's actions section, calling ``url``; ``call``: the order_status call's keys to change."""
    from bot.config import load_config
    from tests.conftest import ROOT

    overrides = {"actions.calls.order_status.url": url, "actions.demo_service": False}
    overrides.update({f"actions.calls.order_status.{k}": v for k, v in call.items()})
    return load_config(ROOT / "config.yml", overrides).actions

"""Does a slow order service delay other customers? p50/p95 of ordinary messages, alone and while
customers' lookups wait on a service that sleeps (issue 23).

    python -m evals.lookup_bench [--sleep 2] [--waiting 6] [--messages 150] [--holding-messages 20]
                                 [--threads 2] [--out report.json]

It serves the demo bot in-process (uvicorn on loopback, ``--threads`` answering threads, a temporary
SQLite store) with ``order_status`` pointed at a stand-in order service that sleeps ``--sleep`` s per
call. One client sends ``--messages`` of the demo's held-out questions one after another, three times:
with no lookups running (quiet); while ``--waiting`` other customers keep asking for an order's status
(lookups lending their answering turn, as served); and the same with lending switched off — each
lookup holding its turn, as a plain blocking call would — to show what the lending buys.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "knowledge_base" / "demo" / "queries.jsonl"


def main(argv=None) -> dict:
    args = _arguments(argv)
    from bot.config import load_config
    from training.model_cache import train_cached

    config = load_config(ROOT / "config.yml", {"server.messages_per_minute_per_session": 1_000_000,
                                               "server.messages_per_minute_per_address": 1_000_000})
    bot, _ = train_cached(ROOT / "knowledge_base" / "demo" / "kb.yml", config, show_progress=False)
    texts = [json.loads(line)["text"] for line in QUERIES.read_text(encoding="utf-8").splitlines() if line.strip()]
    report = {"sleep_seconds": args.sleep, "waiting_lookups": args.waiting, "answering_threads": args.threads,
              "messages": args.messages}
    with _slow_service(args.sleep) as service_url, tempfile.TemporaryDirectory() as folder:
        app = _app(bot, config, service_url, args, Path(folder) / "bench.sqlite3")
        with _serving(app) as url:
            _measure(url, texts[:10], 10)  # warm-up
            report["quiet"] = _measure(url, texts, args.messages)
            with _lookups(url, args.waiting) as done:
                report["slow_service_lending"] = dict(_measure(url, texts, args.messages), lookups_done=len(done))
            with _without_lending(), _lookups(url, args.waiting) as done:
                report["slow_service_holding"] = dict(_measure(url, texts, args.holding_messages), lookups_done=len(done))
    _print(report)
    if args.out:
        Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return report


def _arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sleep", type=float, default=2.0, help="seconds the order service sleeps per call")
    parser.add_argument("--waiting", type=int, default=6, help="customers asking for an order's status meanwhile")
    parser.add_argument("--messages", type=int, default=150, help="ordinary messages measured per phase")
    parser.add_argument("--holding-messages", type=int, default=20,
                        help="messages measured with lending off (each waits seconds: keep it small)")
    parser.add_argument("--threads", type=int, default=2, help="server.answering_threads")
    parser.add_argument("--out", help="write the report as JSON here")
    return parser.parse_args(argv)


def _app(bot, config, service_url: str, args, db: Path):
    import dataclasses

    from bot.http.app import create_app
    from bot.store import ConversationStore

    call = dataclasses.replace(config.actions.call("order_status"), url=service_url,
                               timeout_seconds=args.sleep + 5, retries=0)
    actions = dataclasses.replace(config.actions, calls=(call,), pool=max(8, args.waiting + 2), demo_service=False)
    server = dataclasses.replace(config.server, answering_threads=args.threads)
    return create_app(bot, ConversationStore(str(db)), server, config.handoff, actions=actions)


def _measure(url: str, texts, count: int) -> dict:
    """Latency of ``count`` ordinary messages sent one after another (ten per conversation)."""
    latencies, tokens, run = [], {}, uuid.uuid4().hex[:8]
    with httpx.Client(base_url=url, timeout=120) as client:
        for i in range(count):
            session = f"bench-{run}-{i // 10}"
            started = time.perf_counter()
            response = client.post("/api/messages", json={"session_id": session, "text": texts[i % len(texts)]},
                                   headers={"X-Session-Token": tokens[session]} if session in tokens else {})
            latencies.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            tokens[session] = response.json()["session_token"]
    ordered = sorted(latencies)
    return {"p50_ms": round(statistics.median(ordered), 1), "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
            "max_ms": round(ordered[-1], 1)}


@contextlib.contextmanager
def _lookups(url: str, customers: int):
    """``customers`` threads asking for an order's status again and again; yields the list of lookups done."""
    stop, done = threading.Event(), []

    def ask(n: int) -> None:
        with httpx.Client(base_url=url, timeout=120) as client:
            while not stop.is_set():
                reply = client.post("/api/messages", json={"session_id": f"lookup-{n}-{uuid.uuid4().hex[:8]}",
                                                           "text": f"帮我查下这单到哪了 20261123{n + 1:04d}"})
                done.append(reply.status_code)

    threads = [threading.Thread(target=ask, args=(n,), daemon=True) for n in range(customers)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # the lookups are waiting on the service before the measurement starts
    try:
        yield done
    finally:
        stop.set()
        for thread in threads:
            thread.join(120)


@contextlib.contextmanager
def _without_lending():
    """Lookups hold their answering turn while they wait (what a plain blocking call would do)."""
    import bot.actions.caller as caller

    lending = caller.away_from_turn
    caller.away_from_turn = contextlib.nullcontext
    try:
        yield
    finally:
        caller.away_from_turn = lending


@contextlib.contextmanager
def _slow_service(sleep: float):
    from bot.actions.demo_orders import order

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            time.sleep(sleep)
            body = json.dumps(order(self.path.rsplit("/", 1)[-1]) or {}, ensure_ascii=False).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/orders/{{order_number}}"
    finally:
        server.shutdown()


@contextlib.contextmanager
def _serving(app):
    import socket

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def _print(report: dict) -> None:
    print(f"{'phase':<24}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'lookups':>10}")
    for phase in ("quiet", "slow_service_lending", "slow_service_holding"):
        r = report[phase]
        print(f"{phase:<24}{r['p50_ms']:>10}{r['p95_ms']:>10}{r['max_ms']:>10}{r.get('lookups_done', 0):>10}")


if __name__ == "__main__":
    main()

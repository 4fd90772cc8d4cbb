"""A bounded load test of `faqbot serve` on loopback: many concurrent customer sessions over HTTP and
WebSocket, a fixed number of messages, a hard time limit; it stops by itself.

    python -m evals.load_test [--rate 150] [--sessions 64] [--messages 3000] [--ws-share 0.5]
                              [--workers 1] [--servers 1] [--db postgresql://…] [--redis redis://…]
                              [--out report.json]

It starts its own server(s) on the bundled demo KB (a temporary SQLite file, or a fresh PostgreSQL
schema when --db is a postgresql:// URL): `faqbot serve --workers N` (N processes on one port;
several need --redis), or --servers M such commands on consecutive ports, as M machines behind a
proxy would be (PostgreSQL only). It sends the demo's held-out customer questions, ten per
conversation.

--rate R is an open-loop arrival rate: message i is due at i/R seconds; a session sends its next
message when the previous reply arrived, and latency counts from when the message was due — a slow
server cannot hide its queue (no coordinated omission). --rate 0 sends as fast as the sessions can
(closed loop): the maximum throughput. Reports messages/s, p50/p95/p99 latency and errors.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import websockets

from evals.lean_http import HttpConnection

QUERIES = Path(__file__).resolve().parent.parent / "knowledge_base" / "demo" / "queries.jsonl"
# The way customers frame a question: every message of a run is a text the server has not seen
# (no cached sentence vector helps), as in real traffic.
PREFIXES = ("", "你好，", "请问", "麻烦问下，", "在吗 ", "客服，", "问一下 ")
SUFFIXES = ("", "？", "呢", "啊", "，谢谢", "？急")
MESSAGES_PER_SESSION = 10  # a customer's conversation; the next messages start a new one
# All load comes from one address: lift the per-address and per-session limits for the run.
CONFIG = ("server:\n  messages_per_minute_per_address: 100000000\n  messages_per_minute_per_session: 100000\n"
          "curation:\n  versions_dir: {versions}\n")


PIDS: list = []  # the server processes, whose memory the run samples


def rss_mb() -> float:
    """Resident memory of the server processes (and their worker processes) now (MB)."""
    total = 0
    for pid in {p for root in PIDS for p in _with_children(root)}:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue  # a worker ended between listing and reading
        total += sum(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    return round(total / 1024, 1)


def _with_children(pid: int) -> list:
    try:
        children = [int(c) for task in Path(f"/proc/{pid}/task").iterdir()
                    for c in (task / "children").read_text().split()]
    except OSError:
        return []
    return [pid] + [p for c in children for p in _with_children(c)]


async def sample_memory(samples: list, every: float) -> None:
    while True:
        samples.append((round(time.perf_counter(), 1), rss_mb()))
        await asyncio.sleep(every)


class Recorder:
    def __init__(self):
        self.latencies, self.errors, self.by_transport = [], [], {"http": 0, "ws": 0}

    def ok(self, transport: str, due: float) -> None:
        self.latencies.append((time.perf_counter() - due) * 1000)
        self.by_transport[transport] += 1

    def failed(self, what: str) -> None:
        self.errors.append(what)


async def http_session(base: str, texts, due, recorder: Recorder) -> None:
    """A customer's browser: a keep-alive connection per conversation, as a page visit opens one (a
    pool shared by all sessions sends most messages down the few connections that happen to be idle,
    all to one worker)."""
    name, tokens = uuid.uuid4().hex[:10], {}
    connection = HttpConnection(base)
    try:
        for n, (text, when) in enumerate(zip(texts, due)):
            if n % MESSAGES_PER_SESSION == 0:
                connection.close()  # a new conversation: the next request connects anew
            when = await _until(when)
            session = f"h{name}-{n // MESSAGES_PER_SESSION}"
            try:
                status, reply = await connection.post_json(
                    "/api/messages", {"session_id": session, "text": text},
                    {"X-Session-Token": tokens[session]} if session in tokens else None)
                if status == 200:
                    tokens[session] = reply["session_token"]  # as the widget keeps it
                recorder.ok("http", when) if status == 200 else recorder.failed(f"http {status}")
            except (OSError, ValueError, KeyError, asyncio.TimeoutError, asyncio.IncompleteReadError,
                    asyncio.LimitOverrunError) as exc:
                recorder.failed(f"http {exc.__class__.__name__}")
    finally:
        connection.close()


async def ws_session(base: str, texts, due, recorder: Recorder) -> None:
    name = uuid.uuid4().hex[:10]
    socket, opened_for = None, None
    try:
        for n, (text, when) in enumerate(zip(texts, due)):
            conversation = n // MESSAGES_PER_SESSION
            if conversation != opened_for:
                if socket is not None:
                    await socket.close()
                socket = await websockets.connect(base.replace("http", "ws") + f"/ws/w{name}-{conversation}")
                opened_for = conversation
            when = await _until(when)
            try:
                await socket.send(json.dumps({"text": text}))
                reply = await _reply(socket)
                recorder.ok("ws", when) if reply.get("type") in ("bot", "relayed", "system") \
                    else recorder.failed(f"ws {reply.get('error', reply)}")
            except (websockets.WebSocketException, asyncio.TimeoutError) as exc:
                recorder.failed(f"ws {exc.__class__.__name__}")
    finally:
        if socket is not None:
            await socket.close()


async def _reply(socket) -> dict:
    """The reply to the message just sent (pushed notices in between are not replies)."""
    while True:
        event = json.loads(await asyncio.wait_for(socket.recv(), 30))
        if "message_id" in event and event.get("type") in ("bot", "relayed") or "error" in event \
                or event.get("ticket_id") or event.get("needs_contact"):  # a left message: filed, or kept
            # while the contact details are asked for (handoff/tickets.py)
            return event


async def _until(when: float) -> float:
    """Wait until the message is due; returns when latency counts from (now, in a closed loop)."""
    if not when:
        return time.perf_counter()
    delay = when - time.perf_counter()
    if delay > 0:
        await asyncio.sleep(delay)
    return when


def customer_messages(count: int) -> list:
    """``count`` messages, the demo's held-out questions each framed a different way."""
    questions = [json.loads(line)["text"] for line in QUERIES.read_text(encoding="utf-8").splitlines()]
    return [PREFIXES[(k // len(questions)) % len(PREFIXES)] + questions[k % len(questions)].rstrip("？?")
            + SUFFIXES[(k // (len(questions) * len(PREFIXES))) % len(SUFFIXES)] for k in range(count)]


async def run(bases, rate: float, sessions: int, messages: int, ws_share: float, limit: float) -> dict:
    texts = customer_messages(messages)
    recorder = Recorder()
    start = time.perf_counter() + 0.5
    tasks = []
    for s in range(sessions):
        mine = texts[s::sessions]  # message number i of the whole run is due at i / rate
        due = [start + i / rate if rate else 0.0 for i in range(s, len(texts), sessions)]
        base = bases[s % len(bases)]
        ws = s < round(sessions * ws_share)
        tasks.append(ws_session(base, mine, due, recorder) if ws else http_session(base, mine, due, recorder))
    began = time.perf_counter()
    memory: list = []
    sampler = asyncio.create_task(sample_memory(memory, max(1.0, limit / 60)))
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), limit)
    except asyncio.TimeoutError:
        recorder.failed("time limit reached")
    elapsed = time.perf_counter() - max(began, start)
    sampler.cancel()
    memory.append((round(time.perf_counter(), 1), rss_mb()))
    rss = [m for _, m in memory]
    return dict(_summary(recorder, elapsed, rate, sessions, ws_share), distinct_texts=len(set(texts)),
                server_rss_mb={"start": rss[0], "end": rss[-1], "max": max(rss),
                               "first_quarter_max": max(rss[:max(1, len(rss) // 4)])})


def _summary(recorder: Recorder, elapsed: float, rate: float, sessions: int, ws_share: float) -> dict:
    lat = sorted(recorder.latencies)
    q = (lambda p: round(statistics.quantiles(lat, n=100)[p - 1], 1)) if len(lat) > 1 else (lambda p: None)
    return {"offered_rate": rate or "closed loop", "sessions": sessions, "ws_share": ws_share,
            "messages": len(lat), "by_transport": recorder.by_transport, "seconds": round(elapsed, 1),
            "messages_per_second": round(len(lat) / elapsed, 1) if elapsed > 0 else None,
            "p50_ms": q(50), "p95_ms": q(95), "p99_ms": q(99), "max_ms": round(lat[-1], 1) if lat else None,
            "errors": len(recorder.errors), "error_kinds": sorted(set(recorder.errors))[:10]}


@contextmanager
def servers(workers: int, db: str, redis: str, port: int, processes: int = 1):
    """Start ``processes`` servers of ``workers`` worker processes each (the first seeds the database);
    yields their base URLs."""
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        config = Path(folder) / "config.yml"
        config.write_text(CONFIG.format(versions=Path(folder) / "versions"), encoding="utf-8")
        db = db or str(Path(folder) / "load.sqlite3")
        if db.startswith("postgresql://"):
            db = stack.enter_context(_fresh_schema(db))
        bases = []
        for n in range(processes):
            command = [sys.executable, "-m", "bot.cli", "serve", "--port", str(port + n), "--db", db,
                       "--config", str(config), "--workers", str(workers)] + (["--redis", redis] if redis else [])
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            stack.callback(_stop, process)
            bases.append(_ready(f"http://127.0.0.1:{port + n}", process))
            PIDS.append(process.pid)
        yield bases


@contextmanager
def _fresh_schema(url: str):
    import psycopg

    schema = f"faqbot_load_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            yield f"{url}?options=-csearch_path%3D{schema}"
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def _ready(base: str, process: subprocess.Popen) -> str:
    for _ in range(900):
        if process.poll() is not None:
            raise RuntimeError(f"server on {base} exited with {process.returncode}")
        try:
            if httpx.get(base + "/ready", timeout=1).status_code == 200:
                return base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server on {base} did not become ready")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()


async def _warm_up(bases) -> None:
    texts = [json.loads(line)["text"] for line in QUERIES.read_text(encoding="utf-8").splitlines()][:20]
    async with httpx.AsyncClient(timeout=30) as client:
        for base in bases:
            for text in texts:
                await client.post(base + "/api/messages", json={"session_id": "warm-up", "text": text})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=float, default=150, help="messages per second offered; 0: closed loop")
    ap.add_argument("--sessions", type=int, default=64)
    ap.add_argument("--messages", type=int, default=3000)
    ap.add_argument("--duration", type=float, help="seconds: send --rate messages per second for this long "
                                                   "(a soak run) instead of --messages")
    ap.add_argument("--ws-share", type=float, default=0.5, help="share of sessions over WebSocket")
    ap.add_argument("--workers", type=int, default=1, help="`faqbot serve --workers N`: processes on one port")
    ap.add_argument("--servers", type=int, default=1, help="separate `faqbot serve` commands on consecutive "
                                                            "ports (as behind nginx; needs PostgreSQL)")
    ap.add_argument("--db", default=os.environ.get("FAQBOT_LOAD_DB", ""), help="default: a temporary SQLite file")
    ap.add_argument("--redis", default="", help="redis://127.0.0.1:6379/0 (needed by several workers)")
    ap.add_argument("--port", type=int, default=8790)
    ap.add_argument("--time-limit", type=float, default=300, help="seconds; the run stops by itself")
    ap.add_argument("--out", type=Path, help="also write the report here (JSON)")
    args = ap.parse_args()
    if args.servers > 1 and not args.db.startswith("postgresql://"):
        ap.error("several servers share a PostgreSQL database: pass --db postgresql://…")
    if args.duration:
        if not args.rate:
            ap.error("--duration needs an open-loop --rate")
        args.messages = int(args.rate * args.duration)
        args.time_limit = max(args.time_limit, args.duration + 120)
    with servers(args.workers, args.db, args.redis, args.port, args.servers) as bases:
        asyncio.run(_warm_up(bases))
        report = dict(asyncio.run(run(bases, args.rate, args.sessions, args.messages, args.ws_share, args.time_limit)),
                      workers=args.workers, servers=args.servers)
    text = json.dumps(report, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

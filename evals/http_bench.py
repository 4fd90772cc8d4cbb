"""End-to-end HTTP benchmark of `faqbot serve` on loopback: latency of one message, and throughput
with several concurrent customers. Bounded: a fixed number of messages, then it stops.

    python -m evals.http_bench [--clients 8] [--messages 400] [--port 8790]

It starts its own server (demo bot, a temporary SQLite file), sends the demo KB's held-out
questions, and prints p50/p95 latency and messages per second.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

QUERIES = Path(__file__).resolve().parent.parent / "knowledge_base" / "demo" / "queries.jsonl"


# All load comes from one address and a few customers: lift the per-address limit for the run.
BENCH_CONFIG = "server:\n  messages_per_minute_per_address: 1000000\n"
MESSAGES_PER_SESSION = 10  # a customer's conversation; the next messages start a new one


def start_server(port: int, folder: Path) -> subprocess.Popen:
    (folder / "config.yml").write_text(BENCH_CONFIG, encoding="utf-8")
    cmd = [sys.executable, "-m", "bot.cli", "serve", "--port", str(port), "--db", str(folder / "bench.sqlite3"),
           "--config", str(folder / "config.yml")]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not become ready")


async def customer(client: httpx.AsyncClient, name: str, texts, latencies, errors) -> None:
    for n, text in enumerate(texts):
        started = time.perf_counter()
        session = f"{name}-{n // MESSAGES_PER_SESSION}"
        r = await client.post("/api/messages", json={"session_id": session, "text": text})
        latencies.append((time.perf_counter() - started) * 1000)
        if r.status_code != 200:
            errors.append(r.status_code)


async def run(port: int, clients: int, messages: int) -> dict:
    texts = [json.loads(line)["text"] for line in QUERIES.read_text(encoding="utf-8").splitlines()]
    per_client = max(1, messages // clients)
    latencies, errors = [], []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        for text in texts[:5]:  # warm-up
            await client.post("/api/messages", json={"session_id": "warm", "text": text})
        single = []
        for n, text in enumerate(texts[:100]):
            started = time.perf_counter()
            r = await client.post("/api/messages", json={"session_id": f"single-{n // MESSAGES_PER_SESSION}",
                                                         "text": text})
            single.append((time.perf_counter() - started) * 1000)
            if r.status_code != 200:
                errors.append(r.status_code)
        started = time.perf_counter()
        await asyncio.gather(*(customer(client, f"c{i}", [texts[(i * per_client + j) % len(texts)]
                                                          for j in range(per_client)], latencies, errors)
                               for i in range(clients)))
        elapsed = time.perf_counter() - started
    q = lambda xs, p: round(statistics.quantiles(xs, n=100)[p - 1], 1)  # noqa: E731
    return {"single_p50_ms": q(single, 50), "single_p95_ms": q(single, 95), "clients": clients,
            "messages": len(latencies), "messages_per_second": round(len(latencies) / elapsed, 1),
            "concurrent_p50_ms": q(latencies, 50), "concurrent_p99_ms": q(latencies, 99), "errors": len(errors)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--messages", type=int, default=400)
    ap.add_argument("--port", type=int, default=8790)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proc = start_server(args.port, Path(tmp))
        try:
            print(json.dumps(asyncio.run(run(args.port, args.clients, args.messages))))
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()

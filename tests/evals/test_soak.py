"""Soak: 100 concurrent customer sessions (half over WebSocket) for 5 minutes against a real server
process on loopback — no request fails, and the server's memory levels off instead of growing with
the traffic. (Latency is a benchmark's business: docs/benchmarks.md.)"""
import asyncio

from evals.load_test import run, servers
from tests.conftest import free_port

SESSIONS = 100
SECONDS = 300
RATE = 10  # messages per second offered, spread over the sessions


def test_a_five_minute_soak_has_no_errors_and_flat_memory():
    with servers(1, "", "", free_port()) as bases:
        report = asyncio.run(run(bases, RATE, SESSIONS, RATE * SECONDS, 0.5, SECONDS + 120))
    print(report)
    assert report["errors"] == 0, report["error_kinds"]
    assert report["messages"] == RATE * SECONDS and report["by_transport"]["ws"] > 0
    memory = report["server_rss_mb"]
    assert memory["end"] - memory["first_quarter_max"] <= 0.1 * memory["first_quarter_max"], memory

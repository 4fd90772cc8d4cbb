"""`faqbot serve --workers 2`: two processes on one port and one SQLite file, sharing Redis —
customers are answered whichever process takes their connection, and a conversation continues
across them."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.processes import REDIS_URL, ROOT, free_port, start_worker, stop, write_config


def _workers(parent: int) -> list:
    """The worker processes under a `faqbot serve --workers N` process."""
    workers = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
        if ppid == parent and "spawn_main" in command:
            workers.append(int(proc.name))
    return workers


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100


def test_two_workers_on_one_sqlite_file_answer_and_continue_conversations(tmp_path):
    config = write_config(tmp_path, server={"messages_per_minute_per_address": 100000})
    process, base = start_worker(config, str(tmp_path / "faqbot.sqlite3"), tmp_path / "serve.log",
                                 "--workers", "2", "--redis", REDIS_URL)
    try:
        deadline = time.time() + 120
        while len(_workers(process.pid)) < 2 and time.time() < deadline:
            time.sleep(0.5)
        workers = _workers(process.pid)
        assert len(workers) == 2, workers
        time.sleep(3)  # the second worker may still be loading its bot
        before = {pid: _cpu_seconds(pid) for pid in workers}
        tokens = {}
        for n in range(40):  # a new connection each time: the kernel spreads them over the workers
            session = f"c{n % 8}"
            reply = httpx.post(base + "/api/messages", json={"session_id": session, "text": "怎么开发票"},
                               headers={"X-Session-Token": tokens[session]} if session in tokens else {}, timeout=30)
            assert reply.status_code == 200, reply.text
            tokens[session] = reply.json()["session_token"]
        busy = [pid for pid in workers if _cpu_seconds(pid) - before[pid] > 0.05]
        assert len(busy) == 2, "both workers answer customers"

        for attempt in range(6):  # each message on a new connection, so some picks land on the other worker
            session = f"pick{attempt}"
            offered = httpx.post(base + "/api/messages", json={"session_id": session, "text": "快递"}, timeout=30).json()
            assert offered["decision"] == "clarify" and len(offered["options"]) >= 2
            picked = httpx.post(base + "/api/messages", json={"session_id": session, "text": "2"},
                                headers={"X-Session-Token": offered["session_token"]}, timeout=30).json()
            assert picked.get("entry_id") == offered["options"][1]["id"], picked
    finally:
        stop(process)
    assert all(not Path(f"/proc/{pid}").exists() for pid in workers), "the workers stop with the server"


def test_several_workers_without_redis_are_refused_with_the_reason(tmp_path):
    config = write_config(tmp_path)
    result = subprocess.run([sys.executable, "-m", "bot.cli", "serve", "--config", str(config), "--db",
                             str(tmp_path / "x.sqlite3"), "--port", str(free_port()), "--workers", "2"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={k: v for k, v in os.environ.items() if k != "FAQBOT_REDIS_URL"})
    assert result.returncode != 0 and "needs Redis" in result.stderr

"""`faqbot serve --workers 2`: two processes on one port and one SQLite file, sharing Redis —
customers are answered whichever process takes their connection, and a conversation continues
across them."""
from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from pathlib import Path


from tests.conftest import wait_until
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


def _served_by(connection: http.client.HTTPConnection, port: int, workers: list) -> int:
    """The worker process holding the server end of ``connection`` (an open keep-alive socket)."""
    mine = connection.sock.getsockname()[1]
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = (int(address.rsplit(":", 1)[1], 16) for address in fields[1:3])
            if (local, remote) == (port, mine):
                inodes.add(f"socket:[{fields[9]}]")
    for pid in workers:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) in inodes:
                    return pid
            except OSError:
                continue
    raise AssertionError(f"no worker holds the connection from port {mine}")


def _ask(port: int, workers: list, session: str, text: str, token: str = None) -> tuple:
    """(reply, pid of the worker that answered it): each on a new connection, as from a new browser."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Content-Type": "application/json", **({"X-Session-Token": token} if token else {})}
        connection.request("POST", "/api/messages", json.dumps({"session_id": session, "text": text}), headers)
        response = connection.getresponse()
        body = response.read()
        assert response.status == 200, body
        return json.loads(body), _served_by(connection, port, workers)
    finally:
        connection.close()


def test_two_workers_on_one_sqlite_file_answer_and_continue_conversations(tmp_path, redis_prefix):
    config = write_config(tmp_path, server={"messages_per_minute_per_address": 100000, "redis_prefix": redis_prefix})
    process, base = start_worker(config, str(tmp_path / "faqbot.sqlite3"), tmp_path / "serve.log",
                                 "--workers", "2", "--redis", REDIS_URL)
    port = int(base.rsplit(":", 1)[1])
    try:
        workers = wait_until(lambda: len(_workers(process.pid)) == 2 and _workers(process.pid), 120,
                             "two worker processes under `faqbot serve --workers 2`")
        served = {}

        def conversation(n: int) -> bool:  # customers keep coming until each worker has answered some
            reply, pid = _ask(port, workers, f"c{n}", "怎么开发票")
            assert reply["decision"] == "answer" and reply["entry_id"] == "invoice_how", reply
            served[pid] = served.get(pid, 0) + 1
            return len(served) == 2

        count = iter(range(10_000))
        wait_until(lambda: conversation(next(count)), 120, "both workers answer customers", interval=0)

        crossed = 0
        for attempt in range(20):  # a clarify on one worker, the pick on the other: the conversation continues
            session = f"pick{attempt}"
            offered, first = _ask(port, workers, session, "快递")
            assert offered["decision"] == "clarify" and len(offered["options"]) >= 2
            picked, second = _ask(port, workers, session, "2", offered["session_token"])
            assert picked.get("entry_id") == offered["options"][1]["id"], picked
            crossed += first != second
            if crossed >= 2:
                break
        assert crossed >= 1, "no conversation moved between the workers"
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

"""Does a serving process's memory grow with each publish? (issue 24, finding 14)

    python -m evals.publish_memory [--publishes 10]

Starts a real `faqbot serve` on a temporary SQLite store (the demo shop, the demo accounts), then, as a
trainer at /trainer would, adds a similar question and publishes (forced) ``--publishes`` times. After each
publish it waits until the server serves the new version, and reads the server's resident memory
(VmRSS in /proc) then and again once the switch has settled. Prints one JSON line per publish and a
summary: the growth from first to last publish and the mean step. A leak grows every step; a high-water
mark (the old and new version loaded side by side during the switch) comes back down or levels off.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _wait(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"not within {seconds} s: {what}")


def measure(publishes: int) -> list:
    folder = Path(tempfile.mkdtemp(prefix="publish-memory-"))
    (folder / "config.yml").write_text(f"curation:\n  versions_dir: {folder / 'versions'}\n", encoding="utf-8")
    port = 18000 + os.getpid() % 1000
    server = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--config", str(folder / "config.yml"),
                               "--db", str(folder / "faqbot.sqlite3"), "--port", str(port), "--demo-agents"],
                              cwd=ROOT, stdout=(folder / "serve.log").open("w"), stderr=subprocess.STDOUT)
    base, rows = f"http://127.0.0.1:{port}", []
    try:
        with httpx.Client(base_url=base, timeout=600) as client:
            _wait(lambda: client.get("/ready").status_code == 200, 300, "the server ready")
            token = client.post("/api/agent/login", json={"username": "trainer", "password": "trainer-demo"})
            headers = {"Authorization": "Bearer " + token.json()["token"]}
            rows.append({"publish": 0, "rss_mb": round(rss_mb(server.pid), 1)})
            for n in range(1, publishes + 1):
                client.post("/api/trainer/entries/shipping_fee/similar", json={"texts": [f"运费第{n}次怎么算"]},
                            headers=headers).raise_for_status()
                started = time.monotonic()
                version = client.post("/api/trainer/publish", json={"note": f"memory {n}", "force": True},
                                      headers=headers).json()["number"]
                _wait(lambda: client.get("/ready").json()["version"] == version, 120, f"version {version} served")
                at_switch = rss_mb(server.pid)
                for _ in range(20):  # a few customer messages on the new version, as traffic would
                    client.post("/api/messages", json={"session_id": f"m{n}-{_}", "text": "运费怎么算"})
                rows.append({"publish": n, "version": version, "seconds": round(time.monotonic() - started, 1),
                             "rss_mb_at_switch": round(at_switch, 1), "rss_mb": round(rss_mb(server.pid), 1)})
                print(json.dumps(rows[-1]), flush=True)
    finally:
        server.terminate()
        server.wait(30)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--publishes", type=int, default=10)
    rows = measure(parser.parse_args().publishes)
    steps = [b["rss_mb"] - a["rss_mb"] for a, b in zip(rows[1:], rows[2:])]
    print(json.dumps({"rss_mb_before": rows[0]["rss_mb"], "rss_mb_after_first": rows[1]["rss_mb"],
                      "rss_mb_after_last": rows[-1]["rss_mb"], "growth_first_to_last_mb":
                      round(rows[-1]["rss_mb"] - rows[1]["rss_mb"], 1),
                      "mean_step_mb": round(sum(steps) / max(len(steps), 1), 1)}))


if __name__ == "__main__":
    main()

"""Real `faqbot serve` processes for the tests that need one: crashes, restarts, several workers."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/0"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(folder: Path, **sections) -> Path:
    """A config.yml in ``folder`` with its versions there, plus ``sections`` (e.g. server={…})."""
    config = folder / "config.yml"
    data = dict(sections, curation=dict(sections.get("curation", {}), versions_dir=str(folder / "versions")))
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    return config


def start_worker(config: Path, db: str, log: Path, *options: str) -> tuple:
    """(process, base URL) of a `faqbot serve` that answers /ready; its output goes to ``log``."""
    port = free_port()
    command = [sys.executable, "-m", "bot.cli", "serve", "--config", str(config), "--db", db, "--port", str(port),
               *options]
    process = subprocess.Popen(command, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT,
                               env=dict(os.environ, PYTHONUNBUFFERED="1"))
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"worker exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(base + "/ready", timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"worker did not start:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()

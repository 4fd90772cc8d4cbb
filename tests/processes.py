"""Real `faqbot serve` processes for the tests that need one: crashes, restarts, several workers."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import yaml

from tests.conftest import REDIS_URL, ROOT, free_port, wait_until

__all__ = ["REDIS_URL", "ROOT", "free_port", "write_config", "start_worker", "stop"]


def write_config(folder: Path, **sections) -> Path:
    """A config.yml in ``folder`` with its versions there, plus ``sections`` (e.g. server={…}); a server that
    uses Redis gets its own namespace through ``server={"redis_prefix": …}`` (conftest.redis_namespace)."""
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

    def ready() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"worker exited:\n{log.read_text()[-3000:]}")
        return httpx.get(base + "/ready", timeout=2).status_code == 200

    try:
        wait_until(ready, 180, f"`faqbot serve` on {base} answers /ready", interval=0.3, ignoring=(httpx.HTTPError,))
    except AssertionError:
        process.kill()
        raise RuntimeError(f"worker did not start:\n{log.read_text()[-3000:]}") from None
    return process, base


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()

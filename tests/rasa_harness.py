"""A real Rasa 3.6 for the integration tests: the Python 3.10 environment, trained assistants, servers.

Rasa 3.6 runs on Python 3.10 only, so it lives in its own virtual environment (``.venv-rasa``, made
by scripts/rasa_env.sh on first use — a few minutes — and reused afterwards); the tests drive it
through subprocesses and talk to it over HTTP on loopback, as a Rasa user's channel would. Trained
Rasa models are cached by the content of everything that shapes them, so only the first run trains.
If the environment cannot be made, the tests fail with the reason: they are never skipped.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import Iterator, List, Optional

import pytest

from tests.conftest import free_port, wait_until  # noqa: F401 (the Rasa tests import free_port from here)

ROOT = Path(__file__).resolve().parent.parent
ASSISTANTS = Path(__file__).resolve().parent / "rasa_assistants"
RASA_VENV = ROOT / ".venv-rasa"
STARTUP_SECONDS = 240  # loading TensorFlow and the models on a busy 2-core machine


def rasa_environment() -> Path:
    """``.venv-rasa/bin``, creating the environment first if needed (fails the test with the reason)."""
    done = subprocess.run(["bash", str(ROOT / "scripts" / "rasa_env.sh")], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"could not create the Python 3.10 environment with Rasa 3.6 (scripts/rasa_env.sh):\n"
                    f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}", pytrace=False)
    return RASA_VENV / "bin"


def process_env(**extra: str) -> dict:
    """The environment for Rasa's processes: no telemetry, faqbot's cache shared with this run."""
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2",
               PYTHONWARNINGS="ignore", SQLALCHEMY_SILENCE_UBER_WARNING="1",
               SANIC_HOST="127.0.0.1")  # the action server listens on loopback only (rasa run: --interface)
    env.pop("PYTHONPATH", None)  # the 3.10 environment has faqbot installed (editable) itself
    env.update(extra)
    return env


def trained_model(bin_dir: Path, workdir: Path, name: str) -> Path:
    """``rasa train`` the assistant in ``workdir``, or reuse the model trained from the same files,
    the same faqbot code and the same Rasa before."""
    from training.trainer import code_hash

    digest = hashlib.sha256(code_hash().encode())
    for path in sorted(p for p in workdir.rglob("*") if p.is_file() and "models" not in p.parts):
        digest.update(str(path.relative_to(workdir)).encode() + path.read_bytes())
    for path in sorted((ROOT / "integrations").rglob("*.py")):
        digest.update(path.read_bytes())
    digest.update((ROOT / "pyproject.toml").read_bytes())  # the Rasa pin (a change re-creates the environment)
    cache = Path(os.environ["FAQBOT_CACHE"]) / "rasa-models" / f"{name}-{digest.hexdigest()[:16]}.tar.gz"
    if not cache.exists():
        log = workdir / "train.log"
        with log.open("w") as out:
            done = subprocess.run([str(bin_dir / "rasa"), "train", "--fixed-model-name", name, "--out", "models"],
                                  cwd=workdir, env=process_env(), stdout=out, stderr=subprocess.STDOUT, timeout=900)
        if done.returncode != 0:
            pytest.fail(f"rasa train failed for {name}:\n{_tail(log)}", pytrace=False)
        cache.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(workdir / "models" / f"{name}.tar.gz", cache)
    return cache


@contextlib.contextmanager
def running(command: List[str], cwd: Path, ready_url: str, log: Path, env: Optional[dict] = None) -> Iterator[None]:
    """Start ``command``, wait until ``ready_url`` answers, and stop exactly that process afterwards."""
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env or process_env(), stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    def ready() -> bool:
        if process.poll() is not None:
            pytest.fail(f"{command[0]} {command[1]} stopped (exit {process.returncode}):\n{_tail(log)}", pytrace=False)
        return _answers(ready_url)

    try:
        try:
            wait_until(ready, STARTUP_SECONDS, f"{command[0]} {command[1]} answers {ready_url}", interval=0.5)
        except AssertionError as late:
            pytest.fail(f"{late}:\n{_tail(log)}", pytrace=False)
        yield
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def rest_message(base_url: str, sender: str, text: str) -> List[dict]:
    """What Rasa's REST channel (``POST /webhooks/rest/webhook``) answers to one customer message."""
    return post_json(f"{base_url}/webhooks/rest/webhook", {"sender": sender, "message": text})


def post_json(url: str, body: dict):
    request = urllib.request.Request(url, data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read().decode("utf-8"))


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.loads(response.read().decode("utf-8"))


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _tail(log: Path, lines: int = 60) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"

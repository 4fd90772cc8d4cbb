"""`faqbot serve --workers N`: N server processes on one port, one per core.

A process answers customers in parallel threads, but only the sentence encoder runs outside
Python's global lock; the rest of a message (retrieval scoring, the store, HTTP) takes turns, so
one process cannot keep two cores busy. N processes can. They share the database — SQLite in WAL
mode serves several processes on one machine, PostgreSQL any number of machines — and need Redis
for what they share live: pushes between a customer and an agent on different workers, rate
limits, and the announcement of a newly published version.

Each worker listens on its own socket bound with SO_REUSEPORT, so the kernel spreads new
connections evenly over them (one socket shared by all, as uvicorn's own process manager does,
measured 1.13 cores busy in one worker and 0.3 in the other). A process prepares once
(migrations, the first version on a new database, demo accounts); then the parent starts the
workers, starts a worker again if it dies, and stops them all on SIGTERM / Ctrl-C.
"""
from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import socket
import time
from pathlib import Path
from typing import List, Optional

RESTART_PAUSE = 1.0  # seconds before a worker that died is started again
STOP_GRACE = 20.0  # seconds a worker gets to finish its requests on shutdown

log = logging.getLogger("faqbot.workers")


def serve_spec(config: Optional[Path], db: str, redis: str, model: Optional[Path], kb: Optional[Path],
               demo_agents: bool = False) -> str:
    """The options every worker needs, as the JSON ``app_for`` reads."""
    as_text = lambda path: str(Path(path).resolve()) if path is not None else None  # noqa: E731
    return json.dumps({"config": as_text(config), "db": db, "redis": redis, "model": as_text(model),
                       "kb": as_text(kb), "demo_agents": demo_agents})


def app_for(spec: str):
    """The app of one worker: the live version, served like `faqbot serve`; the app and its agent desk."""
    from bot.cli.composition import build_serving_app
    from bot.cli.logs import mask_access_log

    options = json.loads(spec)
    path = lambda key: Path(options[key]) if options[key] else None  # noqa: E731
    app, desk = build_serving_app(path("config"), options["db"], options["redis"], path("model"), path("kb"))
    mask_access_log()
    return app, desk


def _prepare(spec: str) -> None:
    """Migrate the database and make the first version (and demo accounts) before any worker starts,
    in a process of its own so that the parent, which only watches the workers, stays small."""
    from bot.cli.composition import create_demo_accounts

    _, desk = app_for(spec)
    if json.loads(spec)["demo_agents"]:
        create_demo_accounts(desk)


def run_workers(count: int, spec: str, host: str, port: int, keep_alive: int) -> None:
    """Start ``count`` workers on ``host:port`` and keep them running until SIGTERM or Ctrl-C."""
    _check_free(host, port)
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no state copied from the parent
    preparing = context.Process(target=_prepare, args=(spec,))
    preparing.start()
    preparing.join()
    if preparing.exitcode != 0:
        raise SystemExit(preparing.exitcode or 1)
    start = lambda: _started(context.Process(target=_worker, args=(spec, host, port, keep_alive)))  # noqa: E731
    workers: List[multiprocessing.Process] = [start() for _ in range(count)]
    stopping = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.append(True))
    while not stopping:
        time.sleep(0.5)
        for n, worker in enumerate(workers):
            if not worker.is_alive() and not stopping:
                log.error("worker %s exited with %s; starting it again", worker.pid, worker.exitcode)
                time.sleep(RESTART_PAUSE)
                workers[n] = start()
    _stop_all(workers)


def _started(process: multiprocessing.Process) -> multiprocessing.Process:
    process.start()
    return process


def _stop_all(workers: List[multiprocessing.Process]) -> None:
    for worker in workers:
        if worker.is_alive():
            os.kill(worker.pid, signal.SIGTERM)  # uvicorn finishes the requests under way
    deadline = time.time() + STOP_GRACE
    for worker in workers:
        worker.join(max(0.1, deadline - time.time()))
        if worker.is_alive():
            worker.kill()


def _worker(spec: str, host: str, port: int, keep_alive: int) -> None:
    import uvicorn

    from bot.cli.slow_clients import uvicorn_limits

    app = app_for(spec)[0]
    config = uvicorn.Config(app, host=host, port=port, **uvicorn_limits(app.state.server_settings, keep_alive))
    uvicorn.Server(config).run(sockets=[_listening_socket(host, port)])


def _check_free(host: str, port: int) -> None:
    """Fail now, with the reason, if something else listens there (SO_REUSEPORT would share the port)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise SystemExit(f"cannot listen on {host}:{port}: {exc.strerror}") from exc


def _listening_socket(host: str, port: int) -> socket.socket:
    """A socket of its own on the shared port: the kernel balances connections across such sockets."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock

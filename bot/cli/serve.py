"""``faqbot serve``: the API, the widget and the staff pages, in one process or one per core."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from bot.cli.common import ConfigOption, DbOption, ModelOption, fail, load_settings
from bot.cli.composition import build_serving_app, create_demo_accounts

# Idle keep-alive connections stay open longer than a customer's pause between messages (and
# than nginx's upstream keepalive), so a reused connection is not closed under a request.
KEEP_ALIVE_SECONDS = 75


def register(app: typer.Typer) -> None:
    app.command()(serve)


def serve(model: Optional[Path] = ModelOption, config: Optional[Path] = ConfigOption,
          kb: Optional[Path] = typer.Option(None, "--kb", help="first start: the KB the draft and version 1 "
                                                             "are made from (default: the demo)"),
          host: str = typer.Option("127.0.0.1", help="address to listen on"),
          port: int = typer.Option(8000, help="port to listen on"), db: str = DbOption,
          redis: Optional[str] = typer.Option(None, "--redis", envvar="FAQBOT_REDIS_URL",
                                              help="redis://host:6379/0 — several workers share events and "
                                                   "rate limits (default: server.redis_url)"),
          workers: int = typer.Option(1, "--workers", min=1, help="server processes on this port, one per core "
                                                                  "(more than one needs Redis)"),
          demo_agents: bool = typer.Option(False, help="create the demo accounts agent/agent-demo, "
                                                       "supervisor/supervisor-demo and trainer/trainer-demo")):
    """Serve the API, the widget, the agent workspace (/agent), the trainers' workbench (/trainer) and
    the dashboard. Customers get the live published version; a newly published one is switched to."""
    # Requests are answered in parallel threads: one encoder thread each beats OpenMP teams that
    # fight each other (and whatever else runs on the machine). Set before the encoder loads.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import uvicorn

    from bot.cli.logs import mask_access_log
    from bot.cli.slow_clients import uvicorn_limits

    redis = redis or load_settings(config).server.redis_url
    if workers > 1:
        from bot.cli.workers import run_workers, serve_spec

        if not redis:
            fail(f"--workers {workers} needs Redis (--redis, FAQBOT_REDIS_URL or server.redis_url): the "
                  "workers share pushes, rate limits and new versions through it")

        run_workers(workers, serve_spec(config, db, redis, model, kb, demo_agents), host, port, KEEP_ALIVE_SECONDS)
        return
    app_, desk = build_serving_app(config, db, redis, model, kb)
    if demo_agents:
        create_demo_accounts(desk)
    mask_access_log()
    uvicorn.run(app_, host=host, port=port, **uvicorn_limits(app_.state.server_settings, KEEP_ALIVE_SECONDS))

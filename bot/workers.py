"""`faqbot serve --workers N`: N server processes on one port, one per core.

A process answers customers in parallel threads, but only the sentence encoder runs outside
Python's global lock; the rest of a message (retrieval scoring, the store, HTTP) takes turns, so
one process cannot keep two cores busy. N processes can. They share the database — SQLite in WAL
mode serves several processes on one machine, PostgreSQL any number of machines — and need Redis
for what they share live: pushes between a customer and an agent on different workers, rate
limits, and the announcement of a newly published version.

The parent prepares once (migrations, the first version on a new database, demo accounts), then
uvicorn's process manager starts the workers, restarts one that dies, and stops them together.
Each worker builds its app from the serve options the parent leaves in ``SPEC_ENV``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

SPEC_ENV = "FAQBOT_SERVE_SPEC"


def serve_spec(config: Optional[Path], db: str, redis: str, model: Optional[Path], kb: Optional[Path]) -> str:
    """The options every worker needs, as the JSON ``app_from_env`` reads."""
    as_text = lambda path: str(Path(path).resolve()) if path is not None else None  # noqa: E731
    return json.dumps({"config": as_text(config), "db": db, "redis": redis, "model": as_text(model),
                       "kb": as_text(kb)})


def app_from_env():
    """The app of one worker (uvicorn's factory): the live version, served like `faqbot serve`."""
    from .cli import build_serving_app
    from .logs import mask_access_log

    spec = json.loads(os.environ[SPEC_ENV])
    path = lambda key: Path(spec[key]) if spec[key] else None  # noqa: E731
    app, _ = build_serving_app(path("config"), spec["db"], spec["redis"], path("model"), path("kb"))
    mask_access_log()
    return app

"""The composition root of `faqbot serve`: store, live version, workbench and app, wired once."""
from __future__ import annotations

import dataclasses
import gc
from pathlib import Path
from typing import Optional

import typer

from bot.cli.common import DEMO_KB, fail, load_bot, load_settings

DEMO_AGENTS = (("agent", "agent-demo", "小王", "agent", ("general", "expert", "complaints")),
               ("supervisor", "supervisor-demo", "主管", "supervisor", ("general",)),
               ("trainer", "trainer-demo", "训练师", "trainer", ("general",)))



def build_serving_app(config: Optional[Path], db: str, redis: Optional[str], model: Optional[Path],
                      kb: Optional[Path]):
    """(the app `faqbot serve` runs, its agent desk): store migrated, live version loaded (made first
    on a new database)."""
    from bot.http.app import create_app
    from bot.store import ConversationStore

    cfg = load_settings(config)
    if redis:
        cfg = dataclasses.replace(cfg, server=dataclasses.replace(cfg.server, redis_url=redis))
    store = ConversationStore(db)
    bench, bot, version = _serving(store, cfg, model, kb)
    app_ = create_app(bot, store, cfg.server, cfg.handoff, bench, version, cfg.environment, cfg.actions,
                      cfg.channels)
    # The loaded bot is ~120k long-lived objects: a full garbage collection walking them took ~50 ms,
    # every reply in the process waiting. Frozen, collections only walk what requests allocate.
    gc.collect()
    gc.freeze()
    return app_, app_.state.conversations.desk


def _serving(store, cfg, model: Optional[Path], kb: Optional[Path]):
    """(workbench, bot, version served): the live version, else a first version made from ``kb``;
    with ``--model`` that trained folder until trainers publish."""
    from knowledge_base.loader import KBValidationError, load_kb
    from training.workbench import Workbench

    bench = Workbench(store, cfg, show_progress=True)
    try:
        if model is not None:
            bot = load_bot(model)
            bench.draft.seed(bot.kb)
            return bench, bot, None
        if kb is not None and bench.publisher.live() is not None:
            typer.echo(f"the database already has published versions; serving version {bench.publisher.live()} "
                       f"({kb} is not imported — use `faqbot kb import` and `faqbot publish`)", err=True)
        bot = bench.start(load_kb(kb or DEMO_KB))
    except (KBValidationError, FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    return bench, bot, bench.publisher.live()


def create_demo_accounts(desk) -> None:
    known = {a["username"] for a in desk.agents()}
    for username, password, name, role, groups in DEMO_AGENTS:
        if username not in known:
            desk.add_agent(username, password, name, role, groups)
    typer.echo("demo accounts: agent / agent-demo (/agent), supervisor / supervisor-demo (/dashboard), "
               "trainer / trainer-demo (/trainer)")

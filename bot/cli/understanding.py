"""Commands about one trained bot: train it, ask it, chat with it, tune its thresholds."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from bot.cli.common import ConfigOption, DbOption, fail, load_bot, load_served_bot, load_settings

ServedModelOption = typer.Option(None, "--model", "-m", help="trained bot folder or published version (versions/v0002);"
                                 " default: the live version published in --db, else the demo bot")


def register(app: typer.Typer) -> None:
    for command in (train, ask, chat, tune):
        app.command()(command)


def train(kb: Path = typer.Option(..., "--kb", help="knowledge base: .yml/.jsonl/.csv or Rasa nlu.yml"),
          out: Path = typer.Option(..., "--out", "-o", help="folder to write, e.g. models/shop"),
          config: Optional[Path] = ConfigOption,
          force: bool = typer.Option(False, help="retrain even if the KB and config are unchanged")):
    """Train a bot on a knowledge base and save it as a versioned folder."""
    from knowledge_base.loader import load_kb
    from training.trainer import train as train_bot

    try:
        folder = train_bot(load_kb(kb), load_settings(config), out, force=force)
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    typer.echo(json.dumps({k: manifest[k] for k in ("n_entries", "n_questions", "encoder", "thresholds",
                                                     "training")}, ensure_ascii=False, indent=2))
    typer.echo(f"saved to {folder}")


def ask(question: str, model: Optional[Path] = ServedModelOption, config: Optional[Path] = ConfigOption,
        channel: str = typer.Option("default", help="answer variant: default, web, app, …"),
        why: bool = typer.Option(False, "--why", help="also say the decision and its reasons in words (on stderr)"),
        db: str = DbOption):
    """Answer one question as the server would and print the decision as JSON."""
    reply = load_served_bot(model, config, db).respond(question, channel)
    typer.echo(json.dumps(reply.to_dict(), ensure_ascii=False, indent=2))
    if why:
        about = reply.entry_id or ", ".join(o.id for o in reply.options) or "no entry"
        typer.echo(f"{reply.decision} ({about}), because:", err=True)
        for reason in reply.reasons:
            typer.echo(f"  - {reason}", err=True)


def chat(model: Optional[Path] = ServedModelOption, config: Optional[Path] = ConfigOption, db: str = DbOption):
    """Chat with the bot the server serves in the terminal; transfer rules show where a person would take over."""
    from handoff.router import HandoffRouter

    from bot.service.chat import run

    bot = load_served_bot(model, config, db)
    run(bot, router=HandoffRouter.for_bot(load_settings(config).handoff, bot))


def tune(queries: Path = typer.Option(..., "--queries", help="labelled dev queries (JSONL)"),
         model: Path = typer.Option(..., "--model", "-m"),
         min_self_service: Optional[float] = typer.Option(None, help="default: decision.min_self_service_rate")):
    """Choose answer/clarify thresholds on labelled queries and write them into the model."""
    from training.queries import load_queries
    from training.scoring import analyse_all
    from bot.artefact import update_thresholds
    from training.tuner import tune as tune_thresholds

    from bot.config import load_config

    bot = load_bot(model)
    target = min_self_service if min_self_service is not None else \
        load_config(model / "config.yml").decision.min_self_service_rate
    dev = load_queries(queries, {e.id for e in bot.kb})
    analyses, _ = analyse_all(bot, dev, True, "tuning")
    thresholds = tune_thresholds(bot, dev, analyses, target)
    update_thresholds(model, thresholds)
    typer.echo(json.dumps(thresholds, ensure_ascii=False, indent=2))

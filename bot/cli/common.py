"""What every command shares: the --config/--model/--db options, loading the settings and a bot, failing clearly."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

DEMO_DIR = Path(__file__).resolve().parent.parent.parent / "knowledge_base" / "demo"
DEMO_KB = DEMO_DIR / "kb.yml"
DEFAULT_CONFIG = Path("config.yml")

ConfigOption = typer.Option(None, "--config", "-c", help="config.yml (default: ./config.yml if present)")
ModelOption = typer.Option(None, "--model", "-m", help="trained bot folder (default: the demo bot)")
DbOption = typer.Option("faqbot.sqlite3", "--db", envvar="FAQBOT_DB",
                        help="where conversations are kept: a SQLite file (or sqlite:///file), or a postgresql://user@host:port/db URL")


def load_settings(path: Optional[Path]):
    from bot.config import load_config
    from handoff.settings import checked

    if path is None and DEFAULT_CONFIG.exists():
        path = DEFAULT_CONFIG
    return checked(load_config(path))


def fail(message: str, code: int = 2) -> None:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(code)


def load_bot(model: Optional[Path], config: Optional[Path] = None, kb: Optional[Path] = None):
    """Load a trained bot; with no --model, train ``kb`` (default: the bundled demo) once, cached, and load it."""
    from bot.artefact import ArtefactError

    from bot.engine import Bot

    try:
        if model is None:
            from training.model_cache import train_cached

            return train_cached(kb or DEMO_KB, load_settings(config), show_progress=True)[0]
        return Bot.load(trained_folder(model))
    except (ArtefactError, FileNotFoundError, ValueError) as exc:
        fail(str(exc))


def trained_folder(model: Path) -> Path:
    """A published version's folder (versions/v0002) keeps its trained bot in ``model/``: either names it."""
    inner = model / "model"
    return inner if not (model / "manifest.json").exists() and (inner / "manifest.json").exists() else model


def load_served_bot(model: Optional[Path], config: Optional[Path], db: str):
    """The bot the server serves: ``--model`` when given, else the live version published in ``db``
    (as `faqbot serve` on that database answers customers), else the bundled demo."""
    if model is None:
        live = _live_version(db, config)
        if live is not None:
            return live
    return load_bot(model, config)


def _live_version(db: str, config: Optional[Path]):
    from bot.store import ConversationStore
    from bot.store.conversation_store import sqlite_file
    from training.publisher import Publisher

    if not db.startswith(("postgresql://", "postgres://")) and not Path(sqlite_file(db)).exists():
        return None  # no database here: nothing published (opening it would create an empty one)
    publisher = Publisher(ConversationStore(db), load_settings(config), show_progress=True)
    number = publisher.live()
    if number is None:
        return None
    typer.echo(f"published version {number} (live in {db})", err=True)
    return publisher.load(number)


def print_or_write(text: str, out: Optional[Path]) -> None:
    if out is None:
        typer.echo(text)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {out}")

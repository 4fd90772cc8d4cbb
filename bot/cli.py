"""The ``faqbot`` command. Each command parses options and calls one library function."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="faqbot: a Chinese-first customer-service FAQ bot.")
kb_app = typer.Typer(no_args_is_help=True, help="Check and convert knowledge bases.")
app.add_typer(kb_app, name="kb")

DEMO_DIR = Path(__file__).resolve().parent.parent / "knowledge_base" / "demo"
DEMO_KB = DEMO_DIR / "kb.yml"
DEFAULT_CONFIG = Path("config.yml")

ConfigOption = typer.Option(None, "--config", "-c", help="config.yml (default: ./config.yml if present)")
ModelOption = typer.Option(None, "--model", "-m", help="trained bot folder (default: the demo bot)")


def _config(path: Optional[Path]):
    from .config import load_config

    if path is None and DEFAULT_CONFIG.exists():
        path = DEFAULT_CONFIG
    return load_config(path)


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(2)


def _bot(model: Optional[Path], config: Optional[Path] = None, kb: Optional[Path] = None):
    """Load a trained bot; with no --model, train ``kb`` (default: the bundled demo) once, cached, and load it."""
    from training.artefact import ArtefactError

    from .engine import Bot

    try:
        if model is None:
            from evals.runner import train_cached

            return train_cached(kb or DEMO_KB, _config(config), show_progress=True)[0]
        return Bot.load(model)
    except (ArtefactError, FileNotFoundError, ValueError) as exc:
        _fail(str(exc))


@app.command()
def train(kb: Path = typer.Option(..., "--kb", help="knowledge base: .yml/.jsonl/.csv or Rasa nlu.yml"),
          out: Path = typer.Option(..., "--out", "-o", help="folder to write, e.g. models/shop"),
          config: Optional[Path] = ConfigOption,
          force: bool = typer.Option(False, help="retrain even if the KB and config are unchanged")):
    """Train a bot on a knowledge base and save it as a versioned folder."""
    from knowledge_base.loader import load_kb
    from training.trainer import train as train_bot

    try:
        folder = train_bot(load_kb(kb), _config(config), out, force=force)
    except (ValueError, FileNotFoundError) as exc:
        _fail(str(exc))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    typer.echo(json.dumps({k: manifest[k] for k in ("n_entries", "n_questions", "encoder", "thresholds",
                                                     "training")}, ensure_ascii=False, indent=2))
    typer.echo(f"saved to {folder}")


@app.command()
def ask(question: str, model: Optional[Path] = ModelOption, config: Optional[Path] = ConfigOption,
        channel: str = typer.Option("default", help="answer variant: default, web, app, …")):
    """Answer one question and print the decision as JSON."""
    reply = _bot(model, config).respond(question, channel)
    typer.echo(json.dumps(reply.to_dict(), ensure_ascii=False, indent=2))


@app.command()
def chat(model: Optional[Path] = ModelOption, config: Optional[Path] = ConfigOption):
    """Chat with the bot in the terminal."""
    from .chat import run

    run(_bot(model, config))


@app.command(name="eval")
def evaluate(kb: Path = typer.Option(..., "--kb"), queries: Path = typer.Option(..., "--queries"),
             out: Path = typer.Option(..., "--out", "-o", help="report.json to write"),
             config: Optional[Path] = ConfigOption,
             tune_on: Optional[Path] = typer.Option(None, "--tune-on", help="labelled dev queries for thresholds"),
             progress: bool = typer.Option(True, help="show progress bars")):
    """Train on KB, evaluate labelled queries, write the JSON report."""
    from evals.queries import QueryFileError
    from evals.runner import run_eval

    try:
        result = run_eval(kb, queries, _config(config), tune_on, show_progress=progress)
    except (ValueError, FileNotFoundError, QueryFileError) as exc:
        _fail(str(exc))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    typer.echo(json.dumps(result, ensure_ascii=False))


@app.command()
def tune(queries: Path = typer.Option(..., "--queries", help="labelled dev queries (JSONL)"),
         model: Path = typer.Option(..., "--model", "-m"),
         min_self_service: Optional[float] = typer.Option(None, help="default: decision.min_self_service_rate")):
    """Choose answer/clarify thresholds on labelled queries and write them into the model."""
    from evals.queries import load_queries
    from evals.runner import analyse_all
    from training.artefact import update_thresholds
    from training.tuner import tune as tune_thresholds

    from .config import load_config

    bot = _bot(model)
    target = min_self_service if min_self_service is not None else \
        load_config(model / "config.yml").decision.min_self_service_rate
    dev = load_queries(queries, {e.id for e in bot.kb})
    analyses, _ = analyse_all(bot, dev, True, "tuning")
    thresholds = tune_thresholds(bot, dev, analyses, target)
    update_thresholds(model, thresholds)
    typer.echo(json.dumps(thresholds, ensure_ascii=False, indent=2))


@app.command()
def serve(model: Optional[Path] = ModelOption, config: Optional[Path] = ConfigOption,
          kb: Optional[Path] = typer.Option(None, "--kb", help="serve this KB (trained first, cached)"),
          host: str = typer.Option("127.0.0.1", help="address to listen on"),
          port: int = typer.Option(8000, help="port to listen on"),
          db: str = typer.Option("faqbot.sqlite3", help="where conversations are kept: a SQLite file, or a "
                                                          "postgresql://user@host:port/db URL")):
    """Serve the HTTP + WebSocket API (with no --model: the demo bot)."""
    import uvicorn

    from .server import create_app
    from .store import ConversationStore

    settings = _config(config).server
    uvicorn.run(create_app(_bot(model, config, kb), ConversationStore(db), settings), host=host, port=port)


@kb_app.command("check")
def kb_check(path: Path):
    """Validate a knowledge base; every problem is reported with file, line and field."""
    from knowledge_base.loader import KBValidationError, load_kb

    try:
        kb = load_kb(path)
    except (KBValidationError, FileNotFoundError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1)
    questions = sum(len(e.questions) for e in kb)
    typer.echo(f"{path}: OK — {len(kb)} entries, {questions} questions")


@kb_app.command("export")
def kb_export(path: Path, out: Path = typer.Option(..., "--out", "-o"),
              format: str = typer.Option("yaml", "--format", "-f", help="yaml | jsonl | csv | rasa")):
    """Convert a knowledge base (any readable format) to yaml, jsonl, csv or Rasa NLU YAML."""
    from knowledge_base.loader import KBValidationError, load_kb
    from knowledge_base.writer import FORMATS, write_kb

    if format not in FORMATS:
        _fail(f"unknown format {format!r}; choose one of {list(FORMATS)}")
    try:
        write_kb(load_kb(path), out, format)
    except KBValidationError as exc:
        _fail(str(exc))
    typer.echo(f"wrote {out}")


def main(argv: Optional[List[str]] = None) -> None:
    app(args=argv if argv is not None else sys.argv[1:])
if __name__ == "__main__":
    main()

"""Knowledge-base commands that need no server: check, convert, and mine unanswered questions."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from bot.cli.common import ConfigOption, DbOption, ModelOption, fail, load_bot, load_settings, print_or_write


def register(app: typer.Typer, kb_app: typer.Typer) -> None:
    kb_app.command("check")(kb_check)
    kb_app.command("export")(kb_export)
    app.command()(mine)


def kb_check(path: Path,
             quality: bool = typer.Option(True, "--quality/--no-quality",
                                          help="after validation, check quality: duplicates, dates, answers, links"),
             model: Optional[Path] = typer.Option(None, "--model", "-m", help="trained bot whose encoder finds "
                                                  "near-duplicates (default: one trained on this KB, cached)"),
             config: Optional[Path] = ConfigOption,
             format: str = typer.Option("table", "--format", "-f", help="table | json"),
             strict: bool = typer.Option(False, "--strict", help="exit 1 when a quality check finds an error")):
    """Validate a knowledge base (every problem with file, line and field), then check its quality."""
    from knowledge_base.loader import KBValidationError, load_kb
    from knowledge_base.quality import check_quality, render, summarise

    if format not in ("table", "json"):
        fail(f"unknown format {format!r}; choose one of ['table', 'json']")
    try:
        kb = load_kb(path)
    except (KBValidationError, FileNotFoundError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1)
    questions = sum(len(e.questions) for e in kb)
    report = {"path": str(path), "entries": len(kb), "questions": questions}
    findings = []
    if quality:
        # Training needs two published entries; with fewer, only exact duplicates are looked for.
        bot = load_bot(model, config, path) if model is not None or len(kb.published()) >= 2 else None
        findings = check_quality(kb, load_settings(config).curation, bot.retriever if bot else None)
        report.update(summary=summarise(findings), findings=[f.to_dict() for f in findings])
    if format == "json":
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        typer.echo(f"{path}: OK — {len(kb)} entries, {questions} questions")
        if quality:
            typer.echo(render(findings))
    if strict and any(f.severity == "error" for f in findings):
        raise typer.Exit(1)


def kb_export(path: Optional[Path] = typer.Argument(None, help="a KB file; none: the draft in --db"),
              out: Path = typer.Option(..., "--out", "-o"),
              format: str = typer.Option("yaml", "--format", "-f", help="yaml | jsonl | csv | xlsx | rasa"),
              db: str = DbOption, config: Optional[Path] = ConfigOption):
    """Convert a knowledge base (any readable format), or export the draft, to yaml, jsonl, csv, Excel or
    Rasa NLU YAML."""
    from knowledge_base.loader import KBValidationError, load_kb
    from knowledge_base.writer import FORMATS, write_kb

    if format not in FORMATS:
        fail(f"unknown format {format!r}; choose one of {list(FORMATS)}")
    try:
        if path is None:
            from training.draft import Draft

            from bot.store import ConversationStore

            kb = Draft(ConversationStore(db)).knowledge_base()
        else:
            kb = load_kb(path)
        write_kb(kb, out, format)
    except (KBValidationError, FileNotFoundError) as exc:
        fail(str(exc))
    except KeyError as exc:
        fail(exc.args[0])
    typer.echo(f"wrote {out}")


def mine(db: str = DbOption, model: Optional[Path] = ModelOption, config: Optional[Path] = ConfigOption,
         kb: Optional[Path] = typer.Option(None, "--kb", help="train this KB (cached) instead of --model"),
         since: str = typer.Option("30d", help="7d, 24h, 2026-11-01 or all"),
         transcripts: Optional[Path] = typer.Option(None, "--transcripts", help="mine the customer messages of "
                                                    "this file (.txt one per line, .jsonl, .yml) instead of --db"),
         keep_answered: bool = typer.Option(False, help="with --transcripts: also mine messages the bot answers"),
         similarity: Optional[float] = typer.Option(None, help="override curation.mining.cluster_similarity"),
         top: int = typer.Option(20, help="clusters to show"),
         format: str = typer.Option("table", "--format", "-f", help="table | json"),
         out: Optional[Path] = typer.Option(None, "--out", "-o", help="write here instead of printing")):
    """Unknown-question mining: what customers asked that the bot did not resolve, clustered, most asked
    first, each with a suggestion (add as similar questions of an entry, or write a new entry)."""
    import dataclasses
    import time

    from handoff.report import parse_since
    from handoff.transcript import TranscriptError, load_transcripts
    from training.mining import format_table, mine as mine_clusters, offline_messages, unanswered, unknown_messages

    from bot.store import ConversationStore

    if format not in ("table", "json"):
        fail(f"unknown format {format!r}; choose table or json")
    settings = load_settings(config).curation.mining
    if similarity is not None:
        if not 0.0 <= similarity <= 1.0:
            fail(f"--similarity: {similarity} is outside [0, 1]")
        settings = dataclasses.replace(settings, cluster_similarity=similarity)
    started = time.perf_counter()
    try:
        start = parse_since(since)
        conversations = load_transcripts(transcripts) if transcripts else None
    except (TranscriptError, ValueError) as exc:
        fail(str(exc))
    bot = load_bot(model, config, kb)
    if conversations is None:
        found = unknown_messages(ConversationStore(db), start, settings.max_messages)
    else:
        found = offline_messages(conversations)
        found = found if keep_answered else unanswered(found, bot)
    clusters = mine_clusters(found, bot, settings)
    if format == "json":
        text = json.dumps({"source": str(transcripts or db), "since": None if transcripts else since,
                           "messages": len(found), "clusters_total": len(clusters),
                           "seconds": round(time.perf_counter() - started, 2),
                           "clusters": [c.to_dict() for c in clusters[:top]]}, ensure_ascii=False, indent=2)
    else:
        text = f"{len(found)} unresolved message(s) → {len(clusters)} cluster(s); the {min(top, len(clusters))} " \
               f"most asked:\n" + format_table(clusters[:top])
    print_or_write(text, out)

"""The evaluators' commands, plugged into ``faqbot`` (entry point ``faqbot.commands``): eval, diff, eval-dialogues."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from bot.cli.common import ConfigOption, ModelOption, fail, load_bot, load_settings


def register(app: typer.Typer) -> None:
    app.command(name="eval")(evaluate)
    app.command(name="diff")(diff)
    app.command(name="eval-dialogues")(eval_dialogues)


def evaluate(kb: Path = typer.Option(..., "--kb"),
             queries: Optional[Path] = typer.Option(None, "--queries", help="labelled queries: .jsonl (faqbot), "
                                                    ".yml (Rasa NLU), .json (CLINC150, FILE.json#val), .csv"),
             cv: Optional[int] = typer.Option(None, "--cv", help="K-fold cross-validation on the KB's similar "
                                                                  "questions (instead of --queries)"),
             out: Optional[Path] = typer.Option(None, "--out", "-o", help="report.json to write"),
             report: Optional[Path] = typer.Option(None, "--report", help="folder for report.html, report.json "
                                                                          "and PNG plots"),
             configs: Optional[List[Path]] = typer.Option(None, "--config", "-c", help="config.yml; repeat to "
                                                          "compare pipelines side by side"),
             tune_on: Optional[Path] = typer.Option(None, "--tune-on", help="labelled dev queries for thresholds"),
             predictions: Optional[Path] = typer.Option(None, "--predictions", help="FILE.jsonl: every query's "
                                                        "decision, options, top-5 entries, confidence and reasons"),
             sessions: Optional[Path] = typer.Option(None, "--sessions", help="the JD sessions sample that "
                                                     "by-reference queries point into (default: found near them)"),
             fail_under: Optional[List[str]] = typer.Option(None, "--fail-under", help="METRIC=VALUE: exit 1 "
                                                            "if below (e.g. accuracy_at_1=0.80)"),
             fail_over: Optional[List[str]] = typer.Option(None, "--fail-over", help="METRIC=VALUE: exit 1 if "
                                                           "above (e.g. wrong_answer_rate=0.05)"),
             progress: bool = typer.Option(True, help="show progress bars")):
    """Train on KB, evaluate labelled queries (or cross-validate), write the JSON and HTML reports."""
    from evals.gate import parse_limits
    from training.queries import QueryFileError
    from evals.toolkit import Evaluation

    try:
        under, over = parse_limits(fail_under or [], "--fail-under"), parse_limits(fail_over or [], "--fail-over")
        named = {_config_name(p, configs): load_settings(p) for p in configs} if configs else {"default": load_settings(None)}
        evaluation = Evaluation.run(kb, named, queries, cv, tune_on, report, show_progress=progress,
                                    sessions=sessions)
    except (ValueError, FileNotFoundError, QueryFileError) as exc:
        fail(str(exc))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(evaluation.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
    if predictions is not None:
        for written in evaluation.write_predictions(predictions):
            typer.echo(f"predictions: {written}", err=True)
    typer.echo(evaluation.table() if len(evaluation.runs) > 1 else json.dumps(evaluation.to_json(), ensure_ascii=False))
    if evaluation.report is not None:
        typer.echo(f"report: {evaluation.report}", err=True)
    broken = evaluation.gate(under, over)
    if broken:
        typer.secho("regression gate failed:\n  " + "\n  ".join(broken), fg="red", err=True)
        raise typer.Exit(1)


def _config_name(path: Path, all_paths: List[Path]) -> str:
    """The file's stem, or its path when two compared configs share a stem."""
    return path.stem if sum(p.stem == path.stem for p in all_paths) == 1 else str(path)


def diff(models: List[Path] = typer.Option(..., "--model", "-m", help="trained bot folder: twice, A then B"),
         queries: Path = typer.Option(..., "--queries", help="labelled queries (as for faqbot eval)"),
         out: Optional[Path] = typer.Option(None, "--out", "-o", help="FILE.jsonl: every question, A and B"),
         fail_over: Optional[List[str]] = typer.Option(None, "--fail-over", help="METRIC=VALUE: exit 1 if above "
                                                       "(e.g. lost_answer_share=0.01, broken=0)")):
    """Per question, what bot A and bot B decide — answered → clarify, clarify → fallback, answer
    changed, fixed, broken …: a summary table, then every changed question."""
    from bot.engine import Bot
    from bot.artefact import ArtefactError
    from evals.diff_report import GATED, text_report, write_jsonl
    from evals.gate import failures, parse_limits
    from training.decision_diff import diff_bots, summary
    from training.queries import QueryFileError, load_queries

    if len(models) != 2:
        fail(f"--model: give exactly two trained bots (A, then B), got {len(models)}")
    try:
        over = parse_limits(fail_over or [], "--fail-over", GATED)
        labelled = load_queries(queries)
        a, b = Bot.load(models[0]), Bot.load(models[1])
    except (ValueError, FileNotFoundError, QueryFileError, ArtefactError) as exc:
        fail(str(exc))
    changes = diff_bots(a, b, labelled)
    if out is not None:
        typer.echo(f"every question: {write_jsonl(out, changes)}", err=True)
    typer.echo(text_report(changes, str(models[0]), str(models[1])))
    broken = failures(summary(changes), {}, over)
    if broken:
        typer.secho("regression gate failed:\n  " + "\n  ".join(broken), fg="red", err=True)
        raise typer.Exit(1)


def eval_dialogues(transcripts: Path = typer.Argument(..., help="conversations: .yml (labelled), .jsonl, .txt"),
                   model: Optional[Path] = ModelOption, config: Optional[Path] = ConfigOption,
                   kb: Optional[Path] = typer.Option(None, "--kb", help="train this KB (cached) instead of --model"),
                   limit: Optional[int] = typer.Option(None, help="replay only the first N conversations"),
                   sessions: Optional[Path] = typer.Option(None, "--sessions", help="the JD sessions sample that "
                                                           "by-reference turns point into (default: found near)"),
                   out: Optional[Path] = typer.Option(None, "--out", "-o", help="JSON report to write"),
                   fail_under: Optional[List[str]] = typer.Option(None, "--fail-under",
                                                                  help="METRIC=VALUE, e.g. handoff_recall=0.9"),
                   fail_over: Optional[List[str]] = typer.Option(None, "--fail-over",
                                                                 help="METRIC=VALUE, e.g. false_handoffs=0"),
                   progress: bool = typer.Option(True, help="show progress bars")):
    """Replay conversations through the bot and the transfer rules: turn accuracy, hand-off
    precision/recall, turns until hand-off, false hand-offs, fallback and hand-off rates."""
    from evals.dialogue_eval import GATED, eval_dialogues as run
    from evals.gate import failures, parse_limits
    from handoff.router import HandoffRouter
    from handoff.transcript import TranscriptError, load_transcripts

    try:
        under = parse_limits(fail_under or [], "--fail-under", GATED)
        over = parse_limits(fail_over or [], "--fail-over", GATED)
        conversations = load_transcripts(transcripts, sessions)[:limit]
    except (TranscriptError, ValueError) as exc:
        fail(str(exc))
    bot = load_bot(model, config, kb)
    result = run(bot, HandoffRouter.for_bot(load_settings(config).handoff, bot), conversations, progress)
    text = json.dumps(result, ensure_ascii=False, indent=2)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    typer.echo(text)
    broken = failures(result, under, over)
    if broken:
        typer.secho("regression gate failed:\n  " + "\n  ".join(broken), fg="red", err=True)
        raise typer.Exit(1)

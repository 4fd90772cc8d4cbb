"""The trainers' commands: edit the draft, curate the test set, publish, roll back, read the audit log.

The same operations as the /trainer pages, for scripts. They work on the draft in ``--db`` (the
server's database), as ``--as`` (default: the login name) for the audit log.
"""
from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import List, Optional

import typer

from bot.cli.common import ConfigOption, DbOption, fail, load_settings

ActorOption = typer.Option(None, "--as", help="who the audit log names (default: your login name)")

testset_app = typer.Typer(no_args_is_help=True, help="The labelled test set the publish gate evaluates.")


def register(app: typer.Typer, kb_app: typer.Typer) -> None:
    app.add_typer(testset_app, name="testset")
    app.command()(publish)
    app.command()(rollback)
    app.command()(versions)
    app.command()(audit)
    kb_app.command("import")(kb_import)
    kb_app.command("add")(kb_add)
    kb_app.command("edit")(kb_edit)
    kb_app.command("retire")(kb_retire)
    kb_app.command("show")(kb_show)
    kb_app.command("analytics")(kb_analytics)


def _bench(db: str, config: Optional[Path]):
    from training.workbench import Workbench

    from bot.store import ConversationStore

    return Workbench(ConversationStore(db), load_settings(config), show_progress=True)


def _actor(given: Optional[str]) -> str:
    return given or getpass.getuser()


def _guarded(action):
    """Run ``action``; a refused edit (invalid, conflicting, unknown) exits 2 with the reason."""
    from knowledge_base.loader import KBValidationError
    from training.draft import EditConflict

    try:
        return action()
    except (KBValidationError, EditConflict, ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    except KeyError as exc:
        fail(exc.args[0] if exc.args else str(exc))


def kb_import(path: Path, merge: bool = typer.Option(False, help="add and update entries, keep the others "
                                                                  "(default: the draft becomes the file)"),
              db: str = DbOption, config: Optional[Path] = ConfigOption, actor: Optional[str] = ActorOption):
    """Import a KB file (yaml, jsonl, csv, xlsx, Rasa NLU) into the draft; a bad file changes nothing."""
    from knowledge_base.loader import load_kb

    from knowledge_base.limits import ImportLimits

    bench = _bench(db, config)
    limits = ImportLimits.from_config(bench.config.curation)
    summary = _guarded(lambda: bench.draft.import_kb(load_kb(path, limits), _actor(actor), merge))
    typer.echo(f"draft: {summary['added']} added, {summary['changed']} changed, {summary['removed']} removed "
               f"(publish with `faqbot publish`)")


def kb_analytics(days: int = typer.Option(30, "--days", min=1, help="the window: the last N days"),
                 as_csv: bool = typer.Option(False, "--csv", help="CSV (one line per entry) instead of a table"),
                 stale: bool = typer.Option(False, "--stale", help="only entries without hits or whose validity ends"),
                 out: Optional[Path] = typer.Option(None, "--out", "-o", help="write to this file"),
                 db: str = DbOption, config: Optional[Path] = ConfigOption):
    """Per draft entry: hits, helpful rate, clarify and fallback share near it, last asked, stale entries."""
    from training.analytics import to_csv

    rows = [r for r in _bench(db, config).analytics(days) if r.stale or not stale]
    text = to_csv(rows) if as_csv else _analytics_table(rows)
    if out is None:
        typer.echo(text.lstrip("\ufeff"))
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"{len(rows)} entries written to {out}")


def _analytics_table(rows) -> str:
    def share(v):
        return "—" if v is None else f"{v * 100:.0f}%"

    lines = [f"{'entry':<28} {'hits':>5} {'helpful':>8} {'near':>5} {'clarify':>8} {'fallback':>9}  stale"]
    lines += [f"{r.entry_id[:28]:<28} {r.hits:>5} {share(r.helpful_rate):>8} {r.near:>5} {share(r.clarify_share):>8} "
              f"{share(r.fallback_share):>9}  {' '.join(r.stale)}" for r in rows]
    return "\n".join(lines)


def kb_show(entry_id: str, db: str = DbOption, config: Optional[Path] = ConfigOption):
    """One draft entry as JSON (with its revision)."""
    entry = _guarded(lambda: _bench(db, config).draft.entry(entry_id))
    typer.echo(json.dumps(entry, ensure_ascii=False, indent=2))


def kb_add(entry_id: str, question: str = typer.Option(..., help="the standard question"),
           answer: str = typer.Option("", help="the default answer"),
           similar: Optional[List[str]] = typer.Option(None, help="a similar question; repeat"),
           category: str = typer.Option("", help="e.g. 物流/配送时间"),
           related: Optional[List[str]] = typer.Option(None, help="a related entry id; repeat"),
           channel_answer: Optional[List[str]] = typer.Option(None, "--channel-answer", help="CHANNEL=TEXT; repeat"),
           valid_from: Optional[str] = typer.Option(None, help="YYYY-MM-DD"),
           valid_to: Optional[str] = typer.Option(None, help="YYYY-MM-DD"),
           handoff: bool = typer.Option(False, help="always hand this topic to a person"),
           draft: bool = typer.Option(False, help="status draft: curated, not served yet"),
           db: str = DbOption, config: Optional[Path] = ConfigOption, actor: Optional[str] = ActorOption):
    """Create an entry in the draft."""
    answers = dict(default=answer, **_pairs(channel_answer or [], "--channel-answer"))
    data = {"id": entry_id, "question": question, "answer": answers, "similar": similar or [],
            "category": category, "related": related or [], "valid_from": valid_from, "valid_to": valid_to,
            "handoff": handoff, "status": "draft" if draft else "published"}
    bench = _bench(db, config)
    entry = _guarded(lambda: bench.draft.save(data, _actor(actor)))
    typer.echo(f"created {entry['id']} (revision {entry['_revision']})")


def kb_edit(entry_id: str,
            set_: Optional[List[str]] = typer.Option(None, "--set", help="FIELD=VALUE (VALUE as JSON or text), e.g. "
                                                     "answer.app=请在App内… or valid_to=2026-12-31; repeat"),
            add_similar: Optional[List[str]] = typer.Option(None, help="a similar question to add; repeat"),
            remove_similar: Optional[List[str]] = typer.Option(None, help="a similar question to remove; repeat"),
            db: str = DbOption, config: Optional[Path] = ConfigOption, actor: Optional[str] = ActorOption):
    """Change fields of a draft entry, add or remove similar questions."""
    bench = _bench(db, config)
    entry = _guarded(lambda: bench.draft.entry(entry_id))
    data = {k: v for k, v in entry.items() if not k.startswith("_")}
    for field, value in _pairs(set_ or [], "--set").items():
        _assign(data, field, value)
    data["similar"] = [q for q in data["similar"] if q not in set(remove_similar or [])] + \
        [q for q in add_similar or [] if q not in data["similar"]]
    saved = _guarded(lambda: bench.draft.save(data, _actor(actor), entry["_revision"]))
    typer.echo(f"saved {entry_id} (revision {saved['_revision']})")


def kb_retire(entry_id: str, db: str = DbOption, config: Optional[Path] = ConfigOption,
              actor: Optional[str] = ActorOption):
    """Retire an entry: kept in the draft for history, not served from the next version on."""
    bench = _bench(db, config)
    _guarded(lambda: bench.draft.retire(entry_id, _actor(actor)))
    typer.echo(f"retired {entry_id}")


def publish(note: str = typer.Option("", help="what changed; required to publish over the gate's reasons"),
            force: bool = typer.Option(False, help="publish even if the evaluation gate refuses (needs --note)"),
            db: str = DbOption, config: Optional[Path] = ConfigOption, actor: Optional[str] = ActorOption):
    """Train the draft, compare it with the live version per question (test set, recent traffic,
    flagship questions), print the diff and make it live. Running servers switch to it within
    curation.reload_seconds. Exit 1 when the gate refuses (--force --note WHY publishes anyway)."""
    from training.publisher import PublishRefused

    bench = _bench(db, config)
    try:
        version = _guarded(lambda: bench.publisher.publish(_actor(actor), note, force))
    except PublishRefused as refused:
        typer.echo(gate_report(refused.evaluation))
        typer.secho(str(refused), fg="red", err=True)
        raise typer.Exit(1)
    typer.echo(gate_report(version["evaluation"]))
    typer.echo(_version_line(version))


def gate_report(evaluation: dict) -> str:
    """The gate's comparison with the live version, as the page shows it: counts, then the questions."""
    diff = evaluation.get("diff")
    if not diff:
        return "no live version to compare with"
    lines = [f"compared with live version {evaluation.get('live_version')}:"]
    for source in ("test_set", "traffic"):
        s = diff[source]
        lines.append(f"  {source.replace('_', ' ')}: {s['questions']} questions, {s['changed']} changed, "
                     f"{s['lost_answers']} lose their answer, {s['changed_answers']} answered with another entry, "
                     f"{s['fixed']} fixed, {s['broken']} broken")
    lines.append(f"  flagship: {diff['flagship']['questions']} questions, {diff['flagship']['lost']} lose their answer")
    for key, title in (("flagship_lost", "flagship questions losing their answer"),
                       ("lost_answers", "lost answers"), ("changed_answers", "changed answers")):
        if diff[key]:
            lines.append(f"{title}:")
            lines += [f"  {row['text']}  [{row['source']}]: {_said(row['before'])} → {_said(row['after'])}"
                      for row in diff[key]]
    return "\n".join(lines)


def _said(verdict: dict) -> str:
    return f"{verdict['decision']} {verdict['entry']}" if verdict.get("entry") else verdict["decision"]


def rollback(version: int, db: str = DbOption, config: Optional[Path] = ConfigOption,
             actor: Optional[str] = ActorOption):
    """Make an earlier version live again (the draft is not changed)."""
    bench = _bench(db, config)
    typer.echo(_version_line(_guarded(lambda: bench.publisher.rollback(version, _actor(actor)))))


def versions(db: str = DbOption, config: Optional[Path] = ConfigOption):
    """Published versions, newest first, with their test-set accuracy."""
    for version in _bench(db, config).publisher.versions():
        typer.echo(_version_line(version))


def audit(target: Optional[str] = typer.Option(None, help="an entry id, kb, version:N, suggestion:N …"),
          limit: int = typer.Option(50), db: str = DbOption, config: Optional[Path] = ConfigOption):
    """Who changed what and when, newest first."""
    import datetime

    for row in _bench(db, config).audit(limit, target):
        when = datetime.datetime.fromtimestamp(row["created"]).strftime("%Y-%m-%d %H:%M:%S")
        typer.echo(f"{when}  {row['actor']:<12} {row['action']:<18} {row['target']:<24} "
                   f"{json.dumps(row['details'], ensure_ascii=False)[:160]}")


@testset_app.command("list")
def testset_list(db: str = DbOption, config: Optional[Path] = ConfigOption):
    for case in _bench(db, config).tests.cases():
        typer.echo(f"{case['id']:>5}  {case['expected_id'] or '(no answer)':<24} {case['text']}")


@testset_app.command("add")
def testset_add(text: str, expect: Optional[str] = typer.Option(None, help="the entry that should answer; "
                                                                          "none: the bot must not answer"),
                db: str = DbOption, config: Optional[Path] = ConfigOption, actor: Optional[str] = ActorOption):
    bench = _bench(db, config)
    known = bench.answerable_ids()
    typer.echo(f"added test case {_guarded(lambda: bench.tests.add(text, expect, _actor(actor), known))}")


@testset_app.command("import")
def testset_import(path: Path, db: str = DbOption, config: Optional[Path] = ConfigOption,
                   actor: Optional[str] = ActorOption):
    """Add labelled queries from a file (JSONL, Rasa test YAML, CSV)."""
    from training.queries import QueryFileError

    bench = _bench(db, config)
    try:
        added = bench.tests.import_file(path, _actor(actor), bench.answerable_ids())
    except QueryFileError as exc:
        fail(str(exc))
    typer.echo(f"added {added} test cases")


@testset_app.command("remove")
def testset_remove(case_id: int, db: str = DbOption, config: Optional[Path] = ConfigOption,
                   actor: Optional[str] = ActorOption):
    _guarded(lambda: _bench(db, config).tests.remove(case_id, _actor(actor)))
    typer.echo(f"removed test case {case_id}")


def _version_line(version: dict) -> str:
    import datetime

    draft = version["evaluation"].get("draft", {})
    when = datetime.datetime.fromtimestamp(version["created"]).strftime("%Y-%m-%d %H:%M")
    score = f"accuracy@1 {draft['accuracy_at_1']:.3f}, wrong answers {draft['wrong_answer_rate']:.3f}" \
        if draft.get("accuracy_at_1") is not None else "no test set"
    live = "  (live)" if version.get("live") else ""
    return f"version {version['number']}{live}  {when}  by {version['created_by']}  {score}  {version['note']}"


def _pairs(items: List[str], option: str) -> dict:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            fail(f"{option} {item!r}: expected NAME=VALUE")
        pairs[key.strip()] = value
    return pairs


def _assign(data: dict, field: str, value: str) -> None:
    """``answer.app=…`` sets one channel's answer; other values are JSON when they parse, else text."""
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = value
    if field.startswith("answer."):
        answers = data["answer"] if isinstance(data["answer"], dict) else {"default": data["answer"]}
        data["answer"] = dict(answers, **{field.split(".", 1)[1]: value})
    else:
        data[field] = parsed

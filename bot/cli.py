"""The ``faqbot`` command. Each command parses options and calls one library function."""
from __future__ import annotations

import dataclasses
import gc
import json
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from bot.curation_cli import register as register_curation

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="faqbot: a Chinese-first customer-service FAQ bot.")
kb_app = typer.Typer(no_args_is_help=True, help="Check and convert knowledge bases.")
app.add_typer(kb_app, name="kb")
handoff_app = typer.Typer(no_args_is_help=True, help="Transfer rules: replay conversations and see why.")
app.add_typer(handoff_app, name="handoff")
agent_app = typer.Typer(no_args_is_help=True, help="Agent accounts for the workspace at /agent.")
app.add_typer(agent_app, name="agent")
register_curation(app, kb_app)  # kb import/add/edit/retire/show, publish, rollback, versions, audit, testset

DEMO_DIR = Path(__file__).resolve().parent.parent / "knowledge_base" / "demo"
DEMO_KB = DEMO_DIR / "kb.yml"
DEFAULT_CONFIG = Path("config.yml")
KEEP_ALIVE_SECONDS = 75
DEMO_AGENTS = (("agent", "agent-demo", "小王", "agent", ("general", "expert", "complaints")),
               ("supervisor", "supervisor-demo", "主管", "supervisor", ("general",)),
               ("trainer", "trainer-demo", "训练师", "trainer", ("general",)))

ConfigOption = typer.Option(None, "--config", "-c", help="config.yml (default: ./config.yml if present)")
ModelOption = typer.Option(None, "--model", "-m", help="trained bot folder (default: the demo bot)")
DbOption = typer.Option("faqbot.sqlite3", "--db", envvar="FAQBOT_DB",
                        help="where conversations are kept: a SQLite file, or a postgresql://user@host:port/db URL")


def _config(path: Optional[Path]):
    from bot.config import load_config

    if path is None and DEFAULT_CONFIG.exists():
        path = DEFAULT_CONFIG
    return load_config(path)


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(2)


def _bot(model: Optional[Path], config: Optional[Path] = None, kb: Optional[Path] = None):
    """Load a trained bot; with no --model, train ``kb`` (default: the bundled demo) once, cached, and load it."""
    from training.artefact import ArtefactError

    from bot.engine import Bot

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
    """Chat with the bot in the terminal; transfer rules show where a person would take over."""
    from handoff.router import HandoffRouter

    from bot.chat import run

    bot = _bot(model, config)
    run(bot, router=HandoffRouter.for_bot(_config(config).handoff, bot))


@app.command(name="eval")
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
             fail_under: Optional[List[str]] = typer.Option(None, "--fail-under", help="METRIC=VALUE: exit 1 "
                                                            "if below (e.g. accuracy_at_1=0.80)"),
             fail_over: Optional[List[str]] = typer.Option(None, "--fail-over", help="METRIC=VALUE: exit 1 if "
                                                           "above (e.g. wrong_answer_rate=0.05)"),
             progress: bool = typer.Option(True, help="show progress bars")):
    """Train on KB, evaluate labelled queries (or cross-validate), write the JSON and HTML reports."""
    from evals.gate import parse_limits
    from evals.queries import QueryFileError
    from evals.toolkit import Evaluation

    try:
        under, over = parse_limits(fail_under or [], "--fail-under"), parse_limits(fail_over or [], "--fail-over")
        named = {_config_name(p, configs): _config(p) for p in configs} if configs else {"default": _config(None)}
        evaluation = Evaluation.run(kb, named, queries, cv, tune_on, report, show_progress=progress)
    except (ValueError, FileNotFoundError, QueryFileError) as exc:
        _fail(str(exc))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(evaluation.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
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


@app.command()
def tune(queries: Path = typer.Option(..., "--queries", help="labelled dev queries (JSONL)"),
         model: Path = typer.Option(..., "--model", "-m"),
         min_self_service: Optional[float] = typer.Option(None, help="default: decision.min_self_service_rate")):
    """Choose answer/clarify thresholds on labelled queries and write them into the model."""
    from evals.queries import load_queries
    from evals.runner import analyse_all
    from training.artefact import update_thresholds
    from training.tuner import tune as tune_thresholds

    from bot.config import load_config

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

    from bot.logs import mask_access_log

    redis = redis or _config(config).server.redis_url
    if workers > 1:
        from bot.workers import run_workers, serve_spec

        if not redis:
            _fail(f"--workers {workers} needs Redis (--redis, FAQBOT_REDIS_URL or server.redis_url): the "
                  "workers share pushes, rate limits and new versions through it")

        run_workers(workers, serve_spec(config, db, redis, model, kb, demo_agents), host, port, KEEP_ALIVE_SECONDS)
        return
    app_, desk = build_serving_app(config, db, redis, model, kb)
    if demo_agents:
        create_demo_accounts(desk)
    mask_access_log()
    # Idle keep-alive connections stay open longer than a customer's pause between messages (and
    # than nginx's upstream keepalive), so a reused connection is not closed under a request.
    uvicorn.run(app_, host=host, port=port, timeout_keep_alive=KEEP_ALIVE_SECONDS)


def build_serving_app(config: Optional[Path], db: str, redis: Optional[str], model: Optional[Path],
                      kb: Optional[Path]):
    """(the app `faqbot serve` runs, its agent desk): store migrated, live version loaded (made first
    on a new database)."""
    from bot.server import create_app
    from bot.store import ConversationStore

    cfg = _config(config)
    if redis:
        cfg = dataclasses.replace(cfg, server=dataclasses.replace(cfg.server, redis_url=redis))
    store = ConversationStore(db)
    bench, bot, version = _serving(store, cfg, model, kb)
    app_ = create_app(bot, store, cfg.server, cfg.handoff, bench, version)
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
            bot = _bot(model)
            bench.draft.seed(bot.kb)
            return bench, bot, None
        if kb is not None and bench.publisher.live() is not None:
            typer.echo(f"the database already has published versions; serving version {bench.publisher.live()} "
                       f"({kb} is not imported — use `faqbot kb import` and `faqbot publish`)", err=True)
        bot = bench.start(load_kb(kb or DEMO_KB))
    except (KBValidationError, FileNotFoundError, ValueError) as exc:
        _fail(str(exc))
    return bench, bot, bench.publisher.live()


def create_demo_accounts(desk) -> None:
    known = {a["username"] for a in desk.agents()}
    for username, password, name, role, groups in DEMO_AGENTS:
        if username not in known:
            desk.add_agent(username, password, name, role, groups)
    typer.echo("demo accounts: agent / agent-demo (/agent), supervisor / supervisor-demo (/dashboard), "
               "trainer / trainer-demo (/trainer)")


@agent_app.command("add")
def agent_add(username: str, name: str = typer.Option("", help="shown to customers (default: the username)"),
              role: str = typer.Option("agent", help="agent | supervisor | admin"),
              groups: str = typer.Option("general", help="comma-separated skill groups"),
              password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
              config: Optional[Path] = ConfigOption, db: str = DbOption):
    """Create an agent account (the password is stored as a salted scrypt hash)."""
    from handoff.desk import AgentDesk, DeskError

    from bot.store import ConversationStore

    desk = AgentDesk(ConversationStore(db), _config(config).handoff.groups)
    try:
        agent_id = desk.add_agent(username, password, name, role, [g.strip() for g in groups.split(",") if g.strip()])
    except DeskError as exc:
        _fail(str(exc))
    typer.echo(f"agent {username!r} created (id {agent_id})")


@agent_app.command("list")
def agent_list(config: Optional[Path] = ConfigOption, db: str = DbOption):
    """Agents with their role, groups and status."""
    from handoff.desk import AgentDesk

    from bot.store import ConversationStore

    for a in AgentDesk(ConversationStore(db), _config(config).handoff.groups).agents():
        typer.echo(f"{a['username']:<16} {a['role']:<11} {a['status']:<8} {','.join(a['groups'])}")


@app.command()
def report(db: str = DbOption, config: Optional[Path] = ConfigOption,
           since: str = typer.Option("30d", help="7d, 24h, 2026-11-01 or all"),
           by: Optional[str] = typer.Option(None, help="channel | group | rule | day"),
           format: str = typer.Option("table", "--format", "-f", help="table | json | html"),
           out: Optional[Path] = typer.Option(None, "--out", "-o", help="write here instead of printing")):
    """Outcome metrics: post-hand-off CSAT and participation, NPS, transfer, self-service, FCR, feedback."""
    from handoff.report import outcome_report
    from handoff.report_format import render_report

    from bot.store import ConversationStore

    if format not in ("table", "json", "html"):
        _fail(f"unknown format {format!r}; choose table, json or html")
    try:
        data = outcome_report(ConversationStore(db), since, by, _config(config).handoff.first_contact_window_hours)
    except ValueError as exc:
        _fail(str(exc))
    _print_or_write(render_report(data, format), out)


@app.command(name="eval-dialogues")
def eval_dialogues(transcripts: Path = typer.Argument(..., help="conversations: .yml (labelled), .jsonl, .txt"),
                   model: Optional[Path] = ModelOption, config: Optional[Path] = ConfigOption,
                   kb: Optional[Path] = typer.Option(None, "--kb", help="train this KB (cached) instead of --model"),
                   limit: Optional[int] = typer.Option(None, help="replay only the first N conversations"),
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
        conversations = load_transcripts(transcripts)[:limit]
    except (TranscriptError, ValueError) as exc:
        _fail(str(exc))
    bot = _bot(model, config, kb)
    result = run(bot, HandoffRouter.for_bot(_config(config).handoff, bot), conversations, progress)
    text = json.dumps(result, ensure_ascii=False, indent=2)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    typer.echo(text)
    broken = failures(result, under, over)
    if broken:
        typer.secho("regression gate failed:\n  " + "\n  ".join(broken), fg="red", err=True)
        raise typer.Exit(1)


@handoff_app.command("explain")
def handoff_explain(transcript: Path = typer.Option(..., "--transcript", "-t", help="conversation(s): .yml, "
                                                    ".jsonl or one message per line"),
                    model: Optional[Path] = ModelOption, config: Optional[Path] = ConfigOption,
                    quiet: bool = typer.Option(False, help="only the rule that fired, not every rule's verdict")):
    """Replay a conversation and show, turn by turn, which transfer rule fired and why."""
    from handoff.replay import render, replay
    from handoff.router import HandoffRouter
    from handoff.transcript import TranscriptError, load_transcripts

    try:
        conversations = load_transcripts(transcript)
    except TranscriptError as exc:
        _fail(str(exc))
    bot = _bot(model, config)
    router = HandoffRouter.for_bot(_config(config).handoff, bot)
    for conversation in conversations:
        typer.echo(render(conversation, replay(bot, router, conversation), verbose=not quiet))


@kb_app.command("check")
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
        _fail(f"unknown format {format!r}; choose one of ['table', 'json']")
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
        bot = _bot(model, config, path) if model is not None or len(kb.published()) >= 2 else None
        findings = check_quality(kb, _config(config).curation, bot.retriever if bot else None)
        report.update(summary=summarise(findings), findings=[f.to_dict() for f in findings])
    if format == "json":
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        typer.echo(f"{path}: OK — {len(kb)} entries, {questions} questions")
        if quality:
            typer.echo(render(findings))
    if strict and any(f.severity == "error" for f in findings):
        raise typer.Exit(1)


@kb_app.command("export")
def kb_export(path: Optional[Path] = typer.Argument(None, help="a KB file; none: the draft in --db"),
              out: Path = typer.Option(..., "--out", "-o"),
              format: str = typer.Option("yaml", "--format", "-f", help="yaml | jsonl | csv | xlsx | rasa"),
              db: str = DbOption, config: Optional[Path] = ConfigOption):
    """Convert a knowledge base (any readable format), or export the draft, to yaml, jsonl, csv, Excel or
    Rasa NLU YAML."""
    from knowledge_base.loader import KBValidationError, load_kb
    from knowledge_base.writer import FORMATS, write_kb

    if format not in FORMATS:
        _fail(f"unknown format {format!r}; choose one of {list(FORMATS)}")
    try:
        if path is None:
            from training.draft import Draft

            from bot.store import ConversationStore

            kb = Draft(ConversationStore(db)).knowledge_base()
        else:
            kb = load_kb(path)
        write_kb(kb, out, format)
    except (KBValidationError, FileNotFoundError) as exc:
        _fail(str(exc))
    except KeyError as exc:
        _fail(exc.args[0])
    typer.echo(f"wrote {out}")


@app.command()
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
        _fail(f"unknown format {format!r}; choose table or json")
    settings = _config(config).curation.mining
    if similarity is not None:
        if not 0.0 <= similarity <= 1.0:
            _fail(f"--similarity: {similarity} is outside [0, 1]")
        settings = dataclasses.replace(settings, cluster_similarity=similarity)
    started = time.perf_counter()
    try:
        start = parse_since(since)
        conversations = load_transcripts(transcripts) if transcripts else None
    except (TranscriptError, ValueError) as exc:
        _fail(str(exc))
    bot = _bot(model, config, kb)
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
    _print_or_write(text, out)


def _print_or_write(text: str, out: Optional[Path]) -> None:
    if out is None:
        typer.echo(text)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {out}")


@app.command()
def forget(customer: Optional[str] = typer.Option(None, "--customer", help="the host page's customer id"),
           session: Optional[List[str]] = typer.Option(None, "--session", help="a conversation id; repeat"),
           db: str = DbOption):
    """Delete a customer's data on request (个人信息删除): their conversations, messages, feedback,
    hand-offs, tickets, ratings and pending webhook events. Aggregates already reported stay."""
    from bot.store import ConversationStore

    if not customer and not session:
        _fail("name the customer (--customer) or their conversations (--session)")
    deleted = ConversationStore(db).forget(customer, session or [])
    typer.echo(json.dumps(deleted, ensure_ascii=False))


def main(argv: Optional[List[str]] = None) -> None:
    """The console command: ``app``, with a missing optional extra named instead of a traceback."""
    from bot.extras import install_hint

    try:
        app(args=argv if argv is not None else sys.argv[1:])
    except ModuleNotFoundError as exc:
        hint = install_hint(exc)
        if hint is None:
            raise
        typer.echo(hint, err=True)
        raise SystemExit(1) from None
if __name__ == "__main__":
    main()

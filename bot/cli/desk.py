"""Commands of the hand-off: agent accounts, outcome reports, rule explanations, forgetting a customer."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from bot.cli.common import ConfigOption, DbOption, ModelOption, fail, load_bot, load_settings, print_or_write


def register(app: typer.Typer, handoff_app: typer.Typer, agent_app: typer.Typer) -> None:
    agent_app.command("add")(agent_add)
    agent_app.command("list")(agent_list)
    handoff_app.command("explain")(handoff_explain)
    app.command()(report)
    app.command()(digest)
    app.command()(forget)


def agent_add(username: str, name: str = typer.Option("", help="shown to customers (default: the username)"),
              role: str = typer.Option("agent", help="agent | supervisor | admin | trainer | qa"),
              groups: str = typer.Option("general", help="comma-separated skill groups"),
              password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
              max_chats: Optional[int] = typer.Option(None, min=1, max=100,
                                                      help="conversations at once (default: handoff.desk.max_chats)"),
              config: Optional[Path] = ConfigOption, db: str = DbOption):
    """Create an agent account (the password is stored as a salted scrypt hash)."""
    from handoff.desk import AgentDesk, DeskError

    from bot.store import ConversationStore

    desk = AgentDesk(ConversationStore(db), load_settings(config).handoff.groups)
    try:
        agent_id = desk.add_agent(username, password, name, role, [g.strip() for g in groups.split(",") if g.strip()],
                                  max_chats)
    except DeskError as exc:
        fail(str(exc))
    typer.echo(f"agent {username!r} created (id {agent_id})")


def agent_list(config: Optional[Path] = ConfigOption, db: str = DbOption):
    """Agents with their role, groups and status."""
    from handoff.desk import AgentDesk

    from bot.store import ConversationStore

    for a in AgentDesk(ConversationStore(db), load_settings(config).handoff.groups).agents():
        typer.echo(f"{a['username']:<16} {a['role']:<11} {a['status']:<8} {','.join(a['groups'])}")


def report(db: str = DbOption, config: Optional[Path] = ConfigOption,
           since: str = typer.Option("30d", help="7d, 24h, 2026-11-01 or all"),
           by: Optional[str] = typer.Option(None, help="channel | group | rule | day | agent"),
           format: str = typer.Option("table", "--format", "-f", help="table | json | html"),
           out: Optional[Path] = typer.Option(None, "--out", "-o", help="write here instead of printing"),
           channel: Optional[str] = typer.Option(None, help="only this channel"),
           group: Optional[str] = typer.Option(None, help="only this skill group ((bot): not handed off)"),
           agent: Optional[str] = typer.Option(None, help="only this agent's conversations (username)")):
    """Outcome and contact-centre metrics: CSAT, participation, NPS, transfer, self-service, FCR, feedback;
    queue waits, service level, abandonment, first response, handling time, occupancy, complaints, bot CSAT."""
    from handoff.report import outcome_report
    from handoff.report_format import render_report

    from bot.store import ConversationStore

    if format not in ("table", "json", "html"):
        fail(f"unknown format {format!r}; choose table, json or html")
    try:
        handoff = load_settings(config).handoff
        data = outcome_report(ConversationStore(db), since, by, handoff.first_contact_window_hours,
                              supervision=handoff.supervision, channel=channel, group=group, agent=agent)
    except ValueError as exc:
        fail(str(exc))
    print_or_write(render_report(data, format), out)


def digest(day: Optional[str] = typer.Option(None, help="2026-11-01 (UTC); default: yesterday"),
           db: str = DbOption, config: Optional[Path] = ConfigOption,
           format: str = typer.Option("table", "--format", "-f", help="table | json")):
    """The daily digest for team leads: a day's survey comments, lowest ratings first, and the open
    call-backs to unhappy customers (run it from cron each morning)."""
    from datetime import datetime, timedelta, timezone

    from handoff.follow_up import FollowUps

    from bot.store import ConversationStore

    day = day or (datetime.now(timezone.utc).date() - timedelta(days=1)).isoformat()
    follow_ups = FollowUps(ConversationStore(db), load_settings(config).handoff.supervision)
    try:
        data = dict(follow_ups.digest(day), callbacks=follow_ups.tasks("open"))
    except ValueError as exc:
        fail(str(exc))
    if format == "json":
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    typer.echo(f"{day}: {data['ratings']} ratings, {data['unhappy']} unhappy, {len(data['comments'])} comments")
    for c in data["comments"]:
        typer.echo(f"  CSAT {c['csat']}  {c['group']:<10} {c['agent'] or '—':<8} {c['comment']}")
    typer.echo(f"open call-backs: {len(data['callbacks'])}")
    for t in data["callbacks"]:
        overdue = "  OVERDUE" if t["overdue"] else ""
        typer.echo(f"  #{t['id']} {t['group']:<10} {t['reason']:<14} due {datetime.fromtimestamp(t['due'], timezone.utc):%Y-%m-%d %H:%M} UTC{overdue}")


def handoff_explain(transcript: Path = typer.Option(..., "--transcript", "-t", help="conversation(s): .yml, "
                                                    ".jsonl or one message per line"),
                    model: Optional[Path] = ModelOption, config: Optional[Path] = ConfigOption,
                    quiet: bool = typer.Option(False, help="only the rule that fired, not every rule's verdict")):
    """Replay a conversation and show, turn by turn, which transfer rule fired and why."""
    from bot.service.replay import render, replay
    from handoff.router import HandoffRouter
    from handoff.transcript import TranscriptError, load_transcripts

    try:
        conversations = load_transcripts(transcript)
    except TranscriptError as exc:
        fail(str(exc))
    bot = load_bot(model, config)
    router = HandoffRouter.for_bot(load_settings(config).handoff, bot)
    for conversation in conversations:
        typer.echo(render(conversation, replay(bot, router, conversation), verbose=not quiet))


def forget(customer: Optional[str] = typer.Option(None, "--customer", help="the host page's customer id"),
           session: Optional[List[str]] = typer.Option(None, "--session", help="a conversation id; repeat"),
           db: str = DbOption):
    """Delete a customer's data on request (个人信息删除): their conversations, messages, feedback,
    hand-offs, tickets, ratings and pending webhook events, and their sentences in mined suggestions and
    the audit log. Sentences a trainer took into the draft or the test set are counted (in_draft,
    in_test_set) for you to edit. Aggregates already reported stay."""
    from bot.store import ConversationStore

    if not customer and not session:
        fail("name the customer (--customer) or their conversations (--session)")
    deleted = ConversationStore(db).forget(customer, session or [])
    typer.echo(json.dumps(deleted, ensure_ascii=False))

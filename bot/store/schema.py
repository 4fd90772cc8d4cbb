"""The conversation store's tables and their numbered migrations.

SQLAlchemy 2 (Core) over SQLite by default (a file path, zero setup) or PostgreSQL (a
``postgresql://`` URL), with numbered migrations applied at start. Each write commits before the
caller acknowledges the customer, so nothing the client was told was accepted is lost.
"""
from __future__ import annotations

import time
from typing import Callable, List

from sqlalchemy import (BigInteger, Column, Float, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Table,
                        Text, func, insert, inspect, select)
from sqlalchemy.engine import Connection, Engine

metadata = MetaData()
schema_version = Table("schema_version", metadata, Column("version", Integer, primary_key=True),
                       Column("applied", Float, nullable=False))
sessions = Table("sessions", metadata,
                 Column("id", String(128), primary_key=True), Column("channel", String(32), nullable=False),
                 Column("created", Float, nullable=False), Column("attributes", Text, nullable=False, default="{}"),
                 Column("customer_id", String(128)), Index("sessions_customer", "customer_id", "created"))
messages = Table("messages", metadata,
                 Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
                 Column("session_id", String(128), ForeignKey("sessions.id"), nullable=False),
                 Column("created", Float, nullable=False), Column("sender", String(16), nullable=False),
                 Column("text", Text, nullable=False), Column("decision", String(16)), Column("entry_id", Text),
                 Column("options", Text), Column("confidence", Float),
                 Column("emotion", Float), Column("author", String(64)), Column("details", Text),
                 Index("messages_session", "session_id", "id"))
feedback = Table("feedback", metadata,
                 Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
                 Column("message_id", BigInteger, ForeignKey("messages.id"), nullable=False),
                 Column("created", Float, nullable=False), Column("kind", String(32), nullable=False),
                 Column("value", Text, nullable=False))


ID = BigInteger().with_variant(Integer, "sqlite")
agents = Table("agents", metadata,
               Column("id", ID, primary_key=True, autoincrement=True),
               Column("username", String(64), nullable=False, unique=True), Column("name", String(64), nullable=False),
               Column("password_hash", Text, nullable=False), Column("role", String(16), nullable=False),
               Column("groups", Text, nullable=False), Column("status", String(16), nullable=False),
               Column("created", Float, nullable=False), Column("max_chats", Integer))
agent_tokens = Table("agent_tokens", metadata,
                     Column("token_hash", String(64), primary_key=True),
                     Column("agent_id", BigInteger, ForeignKey("agents.id"), nullable=False),
                     Column("created", Float, nullable=False), Column("expires", Float, nullable=False))
handoffs = Table("handoffs", metadata,
                 Column("id", ID, primary_key=True, autoincrement=True),
                 Column("session_id", String(128), ForeignKey("sessions.id"), nullable=False),
                 Column("created", Float, nullable=False), Column("group", String(32), nullable=False),
                 Column("priority", Integer, nullable=False), Column("rule", String(64), nullable=False),
                 Column("reason", Text, nullable=False), Column("status", String(16), nullable=False),
                 Column("agent_id", BigInteger, ForeignKey("agents.id")), Column("accepted", Float),
                 Column("closed", Float), Column("channel", String(32), nullable=False),
                 Column("packet", Text, nullable=False),
                 Index("handoffs_session", "session_id", "status"), Index("handoffs_queue", "status", "group"))
tickets = Table("tickets", metadata,
                Column("id", ID, primary_key=True, autoincrement=True),
                Column("session_id", String(128), ForeignKey("sessions.id"), nullable=False),
                Column("created", Float, nullable=False), Column("group", String(32), nullable=False),
                Column("rule", String(64), nullable=False), Column("text", Text, nullable=False),
                Column("status", String(16), nullable=False), Column("agent_id", BigInteger, ForeignKey("agents.id")),
                Column("done", Float), Column("handoff_id", BigInteger), Column("priority", Integer),
                Column("due", Float), Column("contact", Text), Column("category", String(255)),
                Column("updated", Float), Column("customer_id", String(128)),
                Index("tickets_session", "session_id", "status"))
surveys = Table("surveys", metadata,
                Column("id", ID, primary_key=True, autoincrement=True),
                Column("handoff_id", BigInteger, ForeignKey("handoffs.id"), nullable=False, unique=True),
                Column("session_id", String(128), ForeignKey("sessions.id"), nullable=False),
                Column("created", Float, nullable=False), Column("agent_id", BigInteger, ForeignKey("agents.id")),
                Column("group", String(32), nullable=False), Column("channel", String(32), nullable=False),
                Column("rule", String(64), nullable=False), Column("nps_asked", Integer, nullable=False),
                Column("csat", Integer), Column("nps", Integer), Column("comment", Text), Column("answered", Float))
webhook_outbox = Table("webhook_outbox", metadata,
                       Column("id", ID, primary_key=True, autoincrement=True),
                       Column("created", Float, nullable=False), Column("event", String(32), nullable=False),
                       Column("payload", Text, nullable=False), Column("attempts", Integer, nullable=False),
                       Column("delivered", Float), Column("last_error", Text),
                       Column("next_attempt", Float, nullable=False), Column("claimed_until", Float))

# The trainers' workbench: the draft KB, published versions, the publish gate's test set,
# suggestions from traffic, and the audit log of who changed what.
kb_entries = Table("kb_entries", metadata,
                   Column("id", String(255), primary_key=True), Column("position", Float, nullable=False),
                   Column("data", Text, nullable=False), Column("revision", Integer, nullable=False),
                   Column("updated", Float, nullable=False), Column("updated_by", String(64), nullable=False))
kb_resources = Table("kb_resources", metadata,
                     Column("name", String(32), primary_key=True), Column("filename", String(255), nullable=False),
                     Column("content", Text, nullable=False))
kb_versions = Table("kb_versions", metadata,
                    Column("number", Integer, primary_key=True, autoincrement=False),
                    Column("created", Float, nullable=False), Column("created_by", String(64), nullable=False),
                    Column("note", Text, nullable=False), Column("kb_hash", String(32), nullable=False),
                    Column("snapshot", Text, nullable=False), Column("evaluation", Text, nullable=False))
kb_state = Table("kb_state", metadata, Column("key", String(32), primary_key=True),
                 Column("value", Text, nullable=False), Column("updated", Float, nullable=False))
kb_test_cases = Table("kb_test_cases", metadata,
                      Column("id", ID, primary_key=True, autoincrement=True), Column("text", Text, nullable=False),
                      Column("expected_id", String(255)), Column("created", Float, nullable=False),
                      Column("created_by", String(64), nullable=False))
kb_suggestions = Table("kb_suggestions", metadata,
                       Column("id", ID, primary_key=True, autoincrement=True),
                       Column("key", String(64), nullable=False, unique=True), Column("kind", String(16), nullable=False),
                       Column("created", Float, nullable=False), Column("status", String(16), nullable=False),
                       Column("payload", Text, nullable=False), Column("decided", Float),
                       Column("decided_by", String(64)))
audit_log = Table("audit_log", metadata,
                  Column("id", ID, primary_key=True, autoincrement=True), Column("created", Float, nullable=False),
                  Column("actor", String(64), nullable=False), Column("action", String(32), nullable=False),
                  Column("target", String(255), nullable=False), Column("details", Text, nullable=False),
                  Index("audit_target", "target", "id"))

# Security state shared by every worker: failed sign-ins per account and address (keys are hashes,
# never a raw address), and the signed help-desk calls already received (replays are refused).
sign_in_attempts = Table("sign_in_attempts", metadata,
                         Column("key", String(64), primary_key=True), Column("failures", Integer, nullable=False),
                         Column("blocked_until", Float, nullable=False), Column("known", Integer, nullable=False),
                         Column("updated", Float, nullable=False))
signed_calls = Table("signed_calls", metadata, Column("signature", String(80), primary_key=True),
                     Column("expires", Float, nullable=False), Index("signed_calls_expiry", "expires"))

# Supervision (issue 22): quality reviews and call-backs to unhappy customers (occupancy reads agent_status_log).
qa_reviews = Table("qa_reviews", metadata,
                   Column("id", ID, primary_key=True, autoincrement=True),
                   Column("handoff_id", BigInteger, ForeignKey("handoffs.id"), nullable=False, unique=True),
                   Column("agent_id", BigInteger, ForeignKey("agents.id")),
                   Column("reviewer_id", BigInteger, ForeignKey("agents.id"), nullable=False),
                   Column("created", Float, nullable=False), Column("scores", Text, nullable=False),
                   Column("score", Float, nullable=False), Column("comment", Text, nullable=False),
                   Column("checks", Text, nullable=False), Column("appeal", Text), Column("appealed", Float),
                   Column("appeal_status", String(16)))
callbacks = Table("callbacks", metadata,
                  Column("id", ID, primary_key=True, autoincrement=True),
                  Column("survey_id", BigInteger, ForeignKey("surveys.id"), nullable=False, unique=True),
                  Column("session_id", String(128), ForeignKey("sessions.id"), nullable=False),
                  Column("group", String(32), nullable=False), Column("created", Float, nullable=False),
                  Column("due", Float, nullable=False), Column("reason", Text, nullable=False),
                  Column("status", String(16), nullable=False), Column("outcome", Text),
                  Column("done", Float), Column("done_by", BigInteger, ForeignKey("agents.id")))


# The agent desk (issue 21): internal notes, canned replies, wrap-ups, the agents' status log.
desk_notes = Table("desk_notes", metadata,
                   Column("id", ID, primary_key=True, autoincrement=True), Column("created", Float, nullable=False),
                   Column("author", String(64), nullable=False), Column("session_id", String(128)),
                   Column("customer_id", String(128)), Column("ticket_id", BigInteger), Column("text", Text, nullable=False),
                   Index("desk_notes_customer", "customer_id"), Index("desk_notes_session", "session_id"))
canned_replies = Table("canned_replies", metadata,
                       Column("id", ID, primary_key=True, autoincrement=True), Column("group", String(32), nullable=False),
                       Column("title", String(64), nullable=False), Column("text", Text, nullable=False),
                       Column("updated", Float, nullable=False), Column("updated_by", String(64), nullable=False))
wrapups = Table("wrapups", metadata,
                Column("handoff_id", BigInteger, primary_key=True, autoincrement=False),
                Column("created", Float, nullable=False), Column("agent_id", BigInteger),
                Column("reason", String(64), nullable=False), Column("resolved", Integer, nullable=False),
                Column("note", Text, nullable=False))
agent_status_log = Table("agent_status_log", metadata,
                         Column("id", ID, primary_key=True, autoincrement=True),
                         Column("agent_id", BigInteger, nullable=False), Column("created", Float, nullable=False),
                         Column("status", String(16), nullable=False), Index("agent_status_log_agent", "agent_id", "id"))


def _add_columns(conn: Connection, table: Table, names) -> list:
    """Columns a table made by an older version lacks, added; returns the names added."""
    present = {c["name"] for c in inspect(conn).get_columns(table.name)}
    added = [name for name in names if name not in present]
    for name in added:
        conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {name} {table.c[name].type.compile(conn.dialect)}")
    return added


customer_links = Table("customer_links", metadata,  # a channel's own id of a customer (WeChat openid) → customer_id
                       Column("channel", String(32), primary_key=True), Column("external_id", String(128), primary_key=True),
                       Column("customer_id", String(128), nullable=False), Column("created", Float, nullable=False))

attachments = Table("attachments", metadata,  # a customer's picture or PDF, kept (re-encoded) with the conversation
                    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
                    Column("session_id", String(128), ForeignKey("sessions.id"), nullable=False),
                    Column("message_id", BigInteger, ForeignKey("messages.id"), nullable=False),
                    Column("created", Float, nullable=False), Column("content_type", String(64), nullable=False),
                    Column("name", String(128), nullable=False), Column("data", LargeBinary, nullable=False),
                    Index("attachments_session", "session_id"))


def _v1_initial(conn: Connection) -> None:
    for table in (sessions, messages, feedback):
        table.create(conn, checkfirst=True)


def _v2_handoff(conn: Connection) -> None:
    """Hand-off: agents, queue, tickets, surveys, webhook outbox; per-message emotion and author."""
    if _add_columns(conn, sessions, ("customer_id",)):  # a version-1 database: its sessions lack the index too
        conn.exec_driver_sql("CREATE INDEX sessions_customer ON sessions (customer_id, created)")
    _add_columns(conn, messages, ("emotion", "author", "details"))
    for table in (agents, agent_tokens, handoffs, tickets, surveys, webhook_outbox):
        table.create(conn, checkfirst=True)


def _v3_workbench(conn: Connection) -> None:
    for table in (kb_entries, kb_resources, kb_versions, kb_state, kb_test_cases, kb_suggestions, audit_log):
        table.create(conn, checkfirst=True)


def _v4_security(conn: Connection) -> None:
    for table in (sign_in_attempts, signed_calls):
        table.create(conn, checkfirst=True)


def _v5_desk(conn: Connection) -> None:
    """The agent desk: the ticket lifecycle (new → assigned → waiting → resolved → closed, due times),
    per-agent chat limits, notes, canned replies, wrap-ups and the status log (occupancy reads it too)."""
    _add_columns(conn, tickets, ("handoff_id", "priority", "due", "contact", "category", "updated", "customer_id"))
    _add_columns(conn, agents, ("max_chats",))
    conn.execute(tickets.update().where(tickets.c.status == "open").values(status="new"))
    conn.execute(tickets.update().where(tickets.c.status == "done").values(status="resolved"))
    for table in (desk_notes, canned_replies, wrapups, agent_status_log):
        table.create(conn, checkfirst=True)
    next(i for i in tickets.indexes if i.name == "tickets_session").create(conn, checkfirst=True)  # asked per message


def _v6_supervision(conn: Connection) -> None:
    for table in (qa_reviews, callbacks):
        table.create(conn, checkfirst=True)


def _v7_channels(conn: Connection) -> None:
    """One customer across channels: which customer a WeChat openid (or another channel's id) is; the
    pictures and files customers send."""
    for table in (customer_links, attachments):
        table.create(conn, checkfirst=True)


# Numbered, append-only: a deployed database is brought to the newest version at start.
MIGRATIONS: List[Callable[[Connection], None]] = [_v1_initial, _v2_handoff, _v3_workbench, _v4_security, _v5_desk,
                                                   _v6_supervision, _v7_channels]


def migrate(engine: Engine) -> int:
    """Apply the migrations this database has not seen yet; returns its version."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":  # workers starting together migrate one at a time
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(4242)")
        schema_version.create(conn, checkfirst=True)
        current = conn.execute(select(func.coalesce(func.max(schema_version.c.version), 0))).scalar_one()
        for number, step in enumerate(MIGRATIONS[current:], start=current + 1):
            step(conn)
            conn.execute(insert(schema_version).values(version=number, applied=time.time()))
    return len(MIGRATIONS)

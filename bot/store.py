"""The conversation store: sessions, every message with the bot's decision, and feedback.

SQLAlchemy 2 (Core) over SQLite by default (a file path, zero setup) or PostgreSQL (a
``postgresql://`` URL), with numbered migrations applied at start. Each write commits before the
caller acknowledges the customer, so nothing the client was told was accepted is lost.
"""
from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager, nullcontext
from functools import wraps
from pathlib import Path
from typing import Callable, List, Optional, Sequence

from sqlalchemy import (BigInteger, Column, Float, ForeignKey, Index, Integer, MetaData, String, Table, Text,
                        bindparam, create_engine, delete, event, func, insert, inspect, literal, or_, select,
                        union_all, update)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

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
               Column("created", Float, nullable=False))
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
                Column("done", Float))
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


# Every customer message runs these: built once, they skip SQLAlchemy's statement construction and
# cache-key walk (~100 of ~170 µs per statement; `python -m evals.load_test` counts every one).
SESSION = select(sessions).where(sessions.c.id == bindparam("session"))
SESSION_KNOWN = select(sessions.c.id).where(sessions.c.id == bindparam("session"))
ADD_MESSAGE = insert(messages).returning(messages.c.id)
SET_EMOTION = update(messages).where(messages.c.id == bindparam("message")).values(emotion=bindparam("score"))
LAST_EXCHANGE = select(func.max(messages.c.id)).where(messages.c.session_id == bindparam("session"),
                                                      messages.c.sender.in_(("customer", "bot")))


def _v1_initial(conn: Connection) -> None:
    for table in (sessions, messages, feedback):
        table.create(conn, checkfirst=True)


def _v2_handoff(conn: Connection) -> None:
    """Hand-off: agents, queue, tickets, surveys, webhook outbox; per-message emotion and author."""
    for table, names in ((sessions, ("customer_id",)), (messages, ("emotion", "author", "details"))):
        present = {c["name"] for c in inspect(conn).get_columns(table.name)}
        for name in names:
            if name not in present:
                column = table.c[name]
                conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {name} "
                                     f"{column.type.compile(conn.dialect)}")
                if name == "customer_id":  # a version-1 database: its sessions table lacks the index too
                    conn.exec_driver_sql("CREATE INDEX sessions_customer ON sessions (customer_id, created)")
    for table in (agents, agent_tokens, handoffs, tickets, surveys, webhook_outbox):
        table.create(conn, checkfirst=True)


def _v3_workbench(conn: Connection) -> None:
    for table in (kb_entries, kb_resources, kb_versions, kb_state, kb_test_cases, kb_suggestions, audit_log):
        table.create(conn, checkfirst=True)


# Numbered, append-only: a deployed database is brought to the newest version at start.
MIGRATIONS: List[Callable[[Connection], None]] = [_v1_initial, _v2_handoff, _v3_workbench]


def _serialised(method):
    @wraps(method)
    def run(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)

    return run


class ConversationStore:
    def __init__(self, url: str = ":memory:"):
        """``url``: a SQLite file path (or ``:memory:``), or ``postgresql://user@host:port/db``."""
        self.engine = _engine(url)
        self.schema_version = migrate(self.engine)
        # SQLite writes one at a time anyway, and ":memory:" is a single shared connection whose
        # transactions must not interleave across request threads.
        self._lock = threading.RLock() if self.engine.dialect.name == "sqlite" else nullcontext()

    @contextmanager
    def transaction(self):
        """One atomic unit of work for the store's other users (the trainers' workbench)."""
        with self._lock, self.engine.begin() as conn:
            yield conn

    @contextmanager
    def reading(self):
        with self._lock, self.engine.connect() as conn:
            yield conn

    @_serialised
    def ensure_session(self, session_id: str, channel: str, customer_id: Optional[str] = None,
                       attributes: Optional[dict] = None) -> None:
        """Create the session on its first message; later messages may add the customer and attributes."""
        self._in_session(session_id, channel, customer_id, attributes)

    @_serialised
    def receive(self, session_id: str, channel: str, text: str, customer_id: Optional[str] = None,
                attributes: Optional[dict] = None) -> int:
        """A customer's message, committed in one transaction with its session (made on the first
        message, updated with the customer and attributes on later ones); returns its id."""
        message = _message_row(session_id, "customer", text)
        return self._in_session(session_id, channel, customer_id, attributes, message)

    def _in_session(self, session_id: str, channel: str, customer_id: Optional[str], attributes: Optional[dict],
                    message: Optional[dict] = None) -> Optional[int]:
        known = dict(customer_id=customer_id) if customer_id else {}
        if attributes:
            known["attributes"] = json.dumps(attributes, ensure_ascii=False)
        for attempt in (1, 2):
            try:
                with self.engine.begin() as conn:
                    if conn.execute(SESSION_KNOWN, {"session": session_id}).first() is None:
                        conn.execute(insert(sessions).values(id=session_id, channel=channel, created=time.time(),
                                                             **known))
                    elif known:
                        conn.execute(update(sessions).where(sessions.c.id == session_id).values(**known))
                    return None if message is None else int(conn.execute(ADD_MESSAGE, message).scalar_one())
            except IntegrityError:
                if attempt == 2:  # another request created the session a moment ago: the second try finds it
                    raise

    @_serialised
    def session(self, session_id: str) -> Optional[dict]:
        with self.engine.connect() as conn:
            row = conn.execute(SESSION, {"session": session_id}).first()
        if row is None:
            return None
        data = dict(row._mapping)
        data["attributes"] = json.loads(data["attributes"] or "{}")
        return data

    @_serialised
    def add_message(self, session_id: str, sender: str, text: str, reply=None, emotion: Optional[float] = None,
                    author: Optional[str] = None, details: Optional[dict] = None,
                    answering: Optional[tuple] = None) -> int:
        """Store one message (a customer's, an agent's, a system notice, or the bot's ``reply``);
        returns its id once committed. ``answering``: (customer message id, its emotion score),
        recorded in the same transaction as the reply."""
        row = _message_row(session_id, sender, text, emotion, author, details)
        if reply is not None:
            row.update(decision=reply.decision, entry_id=reply.entry_id, confidence=reply.confidence,
                       options=json.dumps([o.id for o in reply.options]),
                       details=json.dumps({"candidates": [[o.id, o.score] for o in reply.candidates],
                                           "handoff": reply.handoff}, ensure_ascii=False))
        with self.engine.begin() as conn:
            if answering is not None and answering[1] is not None:
                conn.execute(SET_EMOTION, {"message": answering[0], "score": round(answering[1], 4)})
            return int(conn.execute(ADD_MESSAGE, row).scalar_one())

    @_serialised
    def set_emotion(self, message_id: int, emotion: Optional[float]) -> None:
        if emotion is None:
            return
        with self.engine.begin() as conn:
            conn.execute(SET_EMOTION, {"message": message_id, "score": round(emotion, 4)})

    @_serialised
    def add_feedback(self, session_id: str, message_id: int, kind: str, value: str) -> int:
        """Feedback on a bot message of this session; KeyError if there is no such message."""
        owned = select(messages.c.id).where(messages.c.id == message_id, messages.c.session_id == session_id,
                                            messages.c.sender == "bot")
        with self.engine.begin() as conn:
            if conn.execute(owned).first() is None:
                raise KeyError(f"no bot message {message_id} in session {session_id!r}")
            return int(conn.execute(insert(feedback).values(message_id=message_id, created=time.time(), kind=kind,
                                                            value=value).returning(feedback.c.id)).scalar_one())

    @_serialised
    def popular_entries(self, since_seconds: float, limit: int) -> List[str]:
        """Entries most answered or picked from options over the recent window, most first."""
        since = time.time() - since_seconds
        hits = union_all(
            select(messages.c.entry_id.label("entry_id")).where(
                messages.c.sender == "bot", messages.c.entry_id.is_not(None), messages.c.created >= since),
            select(feedback.c.value.label("entry_id")).where(feedback.c.kind == literal("clarify_choice"),
                                                             feedback.c.created >= since)).subquery()
        count = func.count().label("n")
        query = select(hits.c.entry_id, count).group_by(hits.c.entry_id).order_by(count.desc(), hits.c.entry_id)
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(query.limit(limit))]

    @_serialised
    def last_exchange(self, session_id: str) -> int:
        """The id of the session's newest customer or bot message (0: none): whether a worker's
        memory of the conversation is current."""
        with self.engine.connect() as conn:
            return int(conn.execute(LAST_EXCHANGE, {"session": session_id}).scalar() or 0)

    @_serialised
    def history(self, session_id: str, after: int = 0) -> List[dict]:
        columns = (messages.c.id, messages.c.created, messages.c.sender, messages.c.text, messages.c.decision,
                   messages.c.entry_id, messages.c.confidence, messages.c.emotion, messages.c.author,
                   messages.c.details, messages.c.options)
        query = select(*columns).where(messages.c.session_id == session_id, messages.c.id > after) \
            .order_by(messages.c.id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    @_serialised
    def forget(self, customer_id: Optional[str] = None, session_ids: Sequence[str] = ()) -> dict:
        """Delete every conversation of a customer (by customer id and/or session ids) with all that
        hangs off it — messages, feedback, hand-offs, tickets, ratings; returns what was deleted."""
        with self.engine.begin() as conn:
            chosen = select(sessions.c.id).where(or_(sessions.c.id.in_(list(session_ids)),
                                                     sessions.c.customer_id == customer_id if customer_id
                                                     else literal(False)))
            ids = [r[0] for r in conn.execute(chosen)]
            if not ids:
                return {"sessions": 0}
            by_session = lambda t: t.c.session_id.in_(ids)  # noqa: E731
            said = select(messages.c.id).where(by_session(messages))
            counts = {"feedback": conn.execute(delete(feedback).where(feedback.c.message_id.in_(said))).rowcount}
            for table in (surveys, tickets, handoffs, messages):
                counts[table.name] = conn.execute(delete(table).where(by_session(table))).rowcount
            counts["sessions"] = conn.execute(delete(sessions).where(sessions.c.id.in_(ids))).rowcount
            naming = or_(*(webhook_outbox.c.payload.contains(json.dumps(i)) for i in ids))  # events about them
            counts["webhook_events"] = conn.execute(delete(webhook_outbox).where(naming)).rowcount
        return counts

    @_serialised
    def feedback(self, message_id: Optional[int] = None) -> List[dict]:
        query = select(feedback.c.message_id, feedback.c.kind, feedback.c.value).order_by(feedback.c.id)
        if message_id is not None:
            query = query.where(feedback.c.message_id == message_id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]


def _message_row(session_id: str, sender: str, text: str, emotion: Optional[float] = None,
                 author: Optional[str] = None, details: Optional[dict] = None) -> dict:
    return dict(session_id=session_id, created=time.time(), sender=sender, text=text, emotion=emotion,
                author=author, details=json.dumps(details, ensure_ascii=False) if details else None)


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


def _engine(url: str) -> Engine:
    if url.startswith(("postgresql://", "postgres://")):
        return create_engine("postgresql+psycopg://" + url.split("://", 1)[1], pool_pre_ping=True)
    if url != ":memory:":
        Path(url).parent.mkdir(parents=True, exist_ok=True)
    from sqlalchemy.pool import StaticPool

    if url == ":memory:":
        engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    else:
        engine = create_engine(f"sqlite:///{url}", connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # WAL + NORMAL: a commit is safe from a crashed or killed process (the log is in the OS), not
    # fsynced each time; a power cut may lose the last commits. PostgreSQL is the store for that.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()

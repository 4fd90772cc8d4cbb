"""The conversation store: sessions, every message with the bot's decision, and feedback."""
from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager, nullcontext
from functools import wraps
from pathlib import Path
from typing import List, Optional, Sequence

from sqlalchemy import bindparam, create_engine, delete, event, func, insert, literal, or_, select, union_all, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.store.forgetting import forget_sentences
from bot.store.schema import (sessions, messages, feedback, handoffs, tickets, surveys, webhook_outbox, desk_notes,
                              wrapups, qa_reviews, callbacks, customer_links, attachments, migrate)
from knowledge_base.errors import Forbidden, NotFound

# Every customer message runs these: built once, they skip SQLAlchemy's statement construction and
# cache-key walk (~100 of ~170 µs per statement; `python -m evals.load_test` counts every one).
SESSION = select(sessions).where(sessions.c.id == bindparam("session"))
SESSION_KNOWN = select(sessions.c.id).where(sessions.c.id == bindparam("session"))
ADD_MESSAGE = insert(messages).returning(messages.c.id)
SET_EMOTION = update(messages).where(messages.c.id == bindparam("message")).values(emotion=bindparam("score"))
LAST_EXCHANGE = select(func.max(messages.c.id)).where(messages.c.session_id == bindparam("session"),
                                                      messages.c.sender.in_(("customer", "bot")))


class ConversationTaken(Forbidden):
    """A message meant to start a conversation whose session already exists: it is someone else's."""

    code = "not_yours"


def serialised(method):
    """One writer at a time in this process: SQLite has one write lock, and waiting here is cheaper than retrying."""
    @wraps(method)
    def run(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)

    return run


class ConversationStore:
    def __init__(self, url: str = ":memory:"):
        """``url``: a SQLite file path (or ``:memory:``), or ``postgresql://user@host:port/db``."""
        self.engine = open_engine(url)
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

    @serialised
    def ensure_session(self, session_id: str, channel: str, customer_id: Optional[str] = None,
                       attributes: Optional[dict] = None) -> None:
        """Create the session on its first message; later messages may add the customer and attributes."""
        self._in_session(session_id, channel, customer_id, attributes)

    @serialised
    def receive(self, session_id: str, channel: str, text: str, customer_id: Optional[str] = None,
                attributes: Optional[dict] = None, starting: bool = False) -> int:
        """A customer's message, committed in one transaction with its session (made on the first
        message, updated with the customer and attributes on later ones); returns its id.

        ``starting``: the sender has not proved the conversation is theirs, so the message must create
        it. The session row is inserted outright and its primary key decides: of two first messages
        sent at once (two sockets, two workers) one creates it, the other gets ConversationTaken."""
        message = _message_row(session_id, "customer", text)
        if starting:
            return self._start(session_id, channel, customer_id, attributes, message)
        return self._in_session(session_id, channel, customer_id, attributes, message)

    def _start(self, session_id: str, channel: str, customer_id: Optional[str], attributes: Optional[dict],
               message: dict) -> int:
        row = dict(id=session_id, channel=channel, created=time.time())
        if customer_id:
            row["customer_id"] = customer_id
        if attributes:
            row["attributes"] = json.dumps(attributes, ensure_ascii=False)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(sessions).values(**row))
                return int(conn.execute(ADD_MESSAGE, message).scalar_one())
        except IntegrityError:
            raise ConversationTaken("this conversation belongs to another browser") from None

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

    @serialised
    def session(self, session_id: str) -> Optional[dict]:
        with self.engine.connect() as conn:
            row = conn.execute(SESSION, {"session": session_id}).first()
        if row is None:
            return None
        data = dict(row._mapping)
        data["attributes"] = json.loads(data["attributes"] or "{}")
        return data

    @serialised
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
                                           "handoff": reply.handoff, "lookup": reply.lookup,
                                           "related": [o.id for o in reply.related]}, ensure_ascii=False))
        with self.engine.begin() as conn:
            if answering is not None and answering[1] is not None:
                conn.execute(SET_EMOTION, {"message": answering[0], "score": round(answering[1], 4)})
            return int(conn.execute(ADD_MESSAGE, row).scalar_one())

    @serialised
    def set_emotion(self, message_id: int, emotion: Optional[float]) -> None:
        if emotion is None:
            return
        with self.engine.begin() as conn:
            conn.execute(SET_EMOTION, {"message": message_id, "score": round(emotion, 4)})

    @serialised
    def add_feedback(self, session_id: str, message_id: int, kind: str, value: str) -> int:
        """Feedback on a bot message of this session; KeyError if there is no such message."""
        owned = select(messages.c.id).where(messages.c.id == message_id, messages.c.session_id == session_id,
                                            messages.c.sender == "bot")
        with self.engine.begin() as conn:
            if conn.execute(owned).first() is None:
                raise NotFound(f"no bot message {message_id} in session {session_id!r}")
            return int(conn.execute(insert(feedback).values(message_id=message_id, created=time.time(), kind=kind,
                                                            value=value).returning(feedback.c.id)).scalar_one())

    @serialised
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

    @serialised
    def recent_customer_texts(self, since_seconds: float, limit: int) -> List[str]:
        """Distinct customer messages of the recent window, the most frequent (then newest) first."""
        count, newest = func.count().label("n"), func.max(messages.c.created).label("newest")
        query = select(messages.c.text, count, newest).where(
            messages.c.sender == "customer", messages.c.created >= time.time() - since_seconds) \
            .group_by(messages.c.text).order_by(count.desc(), newest.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(query)]

    @serialised
    def last_exchange(self, session_id: str) -> int:
        """The id of the session's newest customer or bot message (0: none): whether a worker's
        memory of the conversation is current."""
        with self.engine.connect() as conn:
            return int(conn.execute(LAST_EXCHANGE, {"session": session_id}).scalar() or 0)

    @serialised
    def history(self, session_id: str, after: int = 0) -> List[dict]:
        columns = (messages.c.id, messages.c.created, messages.c.sender, messages.c.text, messages.c.decision,
                   messages.c.entry_id, messages.c.confidence, messages.c.emotion, messages.c.author,
                   messages.c.details, messages.c.options)
        query = select(*columns).where(messages.c.session_id == session_id, messages.c.id > after) \
            .order_by(messages.c.id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    @serialised
    def forget(self, customer_id: Optional[str] = None, session_ids: Sequence[str] = ()) -> dict:
        """Delete every conversation of a customer (by customer id and/or session ids) with all that
        hangs off it — messages, feedback, hand-offs, tickets, agents' notes, ratings, webhook events — and their
        sentences wherever they were copied (suggestions, audit log: ``bot/store/forgetting.py``);
        returns what was deleted."""
        with self.engine.begin() as conn:
            chosen = select(sessions.c.id).where(or_(sessions.c.id.in_(list(session_ids)),
                                                     sessions.c.customer_id == customer_id if customer_id
                                                     else literal(False)))
            ids = [r[0] for r in conn.execute(chosen)]
            if not ids:
                return {"sessions": 0}
            by_session = lambda t: t.c.session_id.in_(ids)  # noqa: E731
            typed = conn.execute(select(messages.c.text).where(by_session(messages), messages.c.sender == "customer"))
            derived = forget_sentences(conn, [r[0] for r in typed])  # suggestions, audit log: by the sentence
            said = select(messages.c.id).where(by_session(messages))
            counts = {"feedback": conn.execute(delete(feedback).where(feedback.c.message_id.in_(said))).rowcount}
            handed = select(handoffs.c.id).where(by_session(handoffs))
            counts["qa_reviews"] = conn.execute(delete(qa_reviews).where(qa_reviews.c.handoff_id.in_(handed))).rowcount
            counts["callbacks"] = conn.execute(delete(callbacks).where(by_session(callbacks))).rowcount
            counts["wrapups"] = conn.execute(delete(wrapups).where(wrapups.c.handoff_id.in_(handed))).rowcount
            for table in (attachments, surveys, desk_notes, tickets, handoffs, messages):
                counts[table.name] = conn.execute(delete(table).where(by_session(table))).rowcount
            counts["sessions"] = conn.execute(delete(sessions).where(sessions.c.id.in_(ids))).rowcount
            if customer_id:  # which WeChat openid (…) they were: bot/store/customer_links.py
                counts["customer_links"] = conn.execute(delete(customer_links).where(
                    customer_links.c.customer_id == customer_id)).rowcount
            naming = or_(*(webhook_outbox.c.payload.contains(json.dumps(i)) for i in ids))  # events about them
            counts["webhook_events"] = conn.execute(delete(webhook_outbox).where(naming)).rowcount
        return dict(counts, **derived)

    @serialised
    def feedback(self, message_id: Optional[int] = None) -> List[dict]:
        query = select(feedback.c.message_id, feedback.c.kind, feedback.c.value).order_by(feedback.c.id)
        if message_id is not None:
            query = query.where(feedback.c.message_id == message_id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]


def insert_if_new(conn, table, **values) -> bool:
    """INSERT … ON CONFLICT DO NOTHING, atomic on SQLite and PostgreSQL: True when this call made the row."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    made = dialect.insert(table).values(**values).on_conflict_do_nothing().returning(*table.primary_key.columns)
    return conn.execute(made).first() is not None


def _message_row(session_id: str, sender: str, text: str, emotion: Optional[float] = None,
                 author: Optional[str] = None, details: Optional[dict] = None) -> dict:
    return dict(session_id=session_id, created=time.time(), sender=sender, text=text, emotion=emotion,
                author=author, details=json.dumps(details, ensure_ascii=False) if details else None)


def open_engine(url: str) -> Engine:
    """An engine for a SQLite file (WAL, foreign keys on) or a postgresql:// URL."""
    if url.startswith(("postgresql://", "postgres://")):
        return create_engine("postgresql+psycopg://" + url.split("://", 1)[1], pool_pre_ping=True)
    url = sqlite_file(url)
    if url != ":memory:":
        Path(url).parent.mkdir(parents=True, exist_ok=True)
    from sqlalchemy.pool import StaticPool

    if url == ":memory:":
        engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    else:
        engine = create_engine(f"sqlite:///{url}", connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def sqlite_file(url: str) -> str:
    """The file a SQLite location names: a plain path, or SQLAlchemy's ``sqlite:///path`` URL
    (``sqlite:////abs/path`` for an absolute one), which would otherwise become a folder "sqlite:"."""
    return url[len("sqlite:///"):] if url.startswith("sqlite:///") else url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # WAL + NORMAL: a commit is safe from a crashed or killed process (the log is in the OS), not
    # fsynced each time; a power cut may lose the last commits. PostgreSQL is the store for that.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()

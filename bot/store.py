"""The conversation store: sessions, every message with the bot's decision, and feedback.

SQLite (embedded, zero setup) by default; a ``postgresql://`` URL selects PostgreSQL, the store for
several workers. Each write commits before the caller acknowledges the customer, so nothing the
client was told was accepted is lost. The SQL is shared; only the schema differs by database.
"""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import List, Optional

_TABLES = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, channel TEXT NOT NULL, created DOUBLE PRECISION NOT NULL,
    attributes TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS messages (
    id {serial}, session_id TEXT NOT NULL REFERENCES sessions(id),
    created DOUBLE PRECISION NOT NULL, sender TEXT NOT NULL, text TEXT NOT NULL,
    decision TEXT, entry_id TEXT, options TEXT, confidence DOUBLE PRECISION
);
CREATE INDEX IF NOT EXISTS messages_session ON messages(session_id, id);
CREATE TABLE IF NOT EXISTS feedback (
    id {serial}, message_id BIGINT NOT NULL REFERENCES messages(id),
    created DOUBLE PRECISION NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL
);
"""
SERIAL = {"sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT", "postgres": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"}


class ConversationStore:
    def __init__(self, url: str = ":memory:"):
        """``url``: a SQLite file path (or ``:memory:``), or ``postgresql://user@host:port/db``."""
        self.kind = "postgres" if url.startswith(("postgresql://", "postgres://")) else "sqlite"
        self._db = _connect_postgres(url) if self.kind == "postgres" else _connect_sqlite(url)
        self._lock = threading.Lock()
        with self._lock:
            for statement in _TABLES.replace("{serial}", SERIAL[self.kind]).split(";"):
                if statement.strip():
                    self._db.execute(statement)

    def _run(self, sql: str, args: tuple = ()):
        if self.kind == "postgres":
            sql = sql.replace("?", "%s")
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def ensure_session(self, session_id: str, channel: str) -> None:
        self._run("INSERT INTO sessions(id, channel, created) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING"
                  " RETURNING id", (session_id, channel, time.time()))

    def add_message(self, session_id: str, sender: str, text: str, reply=None) -> int:
        """Store one message (a customer's, or the bot's ``reply``); returns its id once committed."""
        values = (session_id, time.time(), sender, text,
                  reply.decision if reply else None, reply.entry_id if reply else None,
                  json.dumps([o.id for o in reply.options]) if reply else None,
                  reply.confidence if reply else None)
        rows = self._run("INSERT INTO messages(session_id, created, sender, text, decision, entry_id, options,"
                         " confidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id", values)
        return int(rows[0][0])

    def add_feedback(self, session_id: str, message_id: int, kind: str, value: str) -> int:
        """Feedback on a bot message of this session; KeyError if there is no such message."""
        rows = self._run("INSERT INTO feedback(message_id, created, kind, value)"
                         " SELECT id, ?, ?, ? FROM messages WHERE id = ? AND session_id = ? AND sender = 'bot'"
                         " RETURNING id", (time.time(), kind, value, message_id, session_id))
        if not rows:
            raise KeyError(f"no bot message {message_id} in session {session_id!r}")
        return int(rows[0][0])

    def popular_entries(self, since_seconds: float, limit: int) -> List[str]:
        """Entries most answered or picked from options over the recent window, most first."""
        since = time.time() - since_seconds
        rows = self._run(
            "SELECT entry_id, COUNT(*) AS n FROM ("
            " SELECT entry_id FROM messages WHERE sender = 'bot' AND entry_id IS NOT NULL AND created >= ?"
            " UNION ALL SELECT value FROM feedback WHERE kind = 'clarify_choice' AND created >= ?) AS hits"
            " GROUP BY entry_id ORDER BY n DESC, entry_id LIMIT ?", (since, since, limit))
        return [r[0] for r in rows]

    def history(self, session_id: str) -> List[dict]:
        rows = self._run("SELECT id, sender, text, decision, entry_id FROM messages WHERE session_id = ?"
                         " ORDER BY id", (session_id,))
        return [dict(zip(("id", "sender", "text", "decision", "entry_id"), r)) for r in rows]

    def feedback(self, message_id: Optional[int] = None) -> List[dict]:
        sql, args = "SELECT message_id, kind, value FROM feedback", ()
        if message_id is not None:
            sql, args = sql + " WHERE message_id = ?", (message_id,)
        return [dict(zip(("message_id", "kind", "value"), r)) for r in self._run(sql + " ORDER BY id", args)]


def _connect_sqlite(path: str):
    import sqlite3

    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)  # autocommit
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA foreign_keys=ON")
    return db


def _connect_postgres(url: str):
    import psycopg

    return psycopg.connect(url, autocommit=True)

"""The conversation store: sessions, every message with the bot's decision, and feedback.

SQLite (embedded, zero setup) by default. Each write commits before the caller acknowledges the
customer, so nothing the client was told was accepted is lost.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import List, Optional

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, channel TEXT NOT NULL, created REAL NOT NULL, attributes TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL REFERENCES sessions(id),
    created REAL NOT NULL, sender TEXT NOT NULL, text TEXT NOT NULL,
    decision TEXT, entry_id TEXT, options TEXT, confidence REAL
);
CREATE INDEX IF NOT EXISTS messages_session ON messages(session_id, id);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, message_id INTEGER NOT NULL REFERENCES messages(id),
    created REAL NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL
);
"""


class ConversationStore:
    def __init__(self, path: str = ":memory:"):
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def ensure_session(self, session_id: str, channel: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO sessions(id, channel, created) VALUES (?, ?, ?)",
                             (session_id, channel, time.time()))

    def add_message(self, session_id: str, sender: str, text: str, reply=None) -> int:
        """Store one message (a customer's, or the bot's ``reply``); returns its id once committed."""
        values = (session_id, time.time(), sender, text,
                  reply.decision if reply else None, reply.entry_id if reply else None,
                  json.dumps([o.id for o in reply.options]) if reply else None,
                  reply.confidence if reply else None)
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO messages(session_id, created, sender, text, decision, entry_id, options, confidence)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", values)
            return int(cursor.lastrowid)

    def add_feedback(self, session_id: str, message_id: int, kind: str, value: str) -> int:
        """Feedback on a bot message of this session; KeyError if there is no such message."""
        with self._lock:
            row = self._db.execute("SELECT 1 FROM messages WHERE id = ? AND session_id = ? AND sender = 'bot'",
                                   (message_id, session_id)).fetchone()
            if row is None:
                raise KeyError(f"no bot message {message_id} in session {session_id!r}")
            cursor = self._db.execute("INSERT INTO feedback(message_id, created, kind, value) VALUES (?, ?, ?, ?)",
                                      (message_id, time.time(), kind, value))
            return int(cursor.lastrowid)

    def popular_entries(self, since_seconds: float, limit: int) -> List[str]:
        """Entries most answered or picked from options over the recent window, most first."""
        since = time.time() - since_seconds
        rows = self._db.execute(
            "SELECT entry_id, COUNT(*) AS n FROM ("
            " SELECT entry_id FROM messages WHERE sender = 'bot' AND entry_id IS NOT NULL AND created >= ?"
            " UNION ALL SELECT value FROM feedback WHERE kind = 'clarify_choice' AND created >= ?)"
            " GROUP BY entry_id ORDER BY n DESC, entry_id LIMIT ?", (since, since, limit)).fetchall()
        return [r[0] for r in rows]

    def history(self, session_id: str) -> List[dict]:
        rows = self._db.execute("SELECT id, sender, text, decision, entry_id FROM messages WHERE session_id = ?"
                                " ORDER BY id", (session_id,)).fetchall()
        return [dict(zip(("id", "sender", "text", "decision", "entry_id"), r)) for r in rows]

    def feedback(self, message_id: Optional[int] = None) -> List[dict]:
        sql, args = "SELECT message_id, kind, value FROM feedback", ()
        if message_id is not None:
            sql, args = sql + " WHERE message_id = ?", (message_id,)
        return [dict(zip(("message_id", "kind", "value"), r)) for r in self._db.execute(sql, args).fetchall()]

"""Proof that a browser owns a conversation: a token only the server can compute from the session id.

The first reply of a conversation carries its token; reading the conversation (history, pushed
agent messages), rating it and voting on its answers need it back. Knowing (or guessing) another
session's id is not enough. The secret is FAQBOT_SESSION_SECRET or, if unset, a random one kept in
the database, so every worker computes the same tokens.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from typing import Optional

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from bot.store import ConversationStore, kb_state

SECRET_KEY = "session_secret"


class SessionTokens:
    def __init__(self, secret: bytes):
        self.secret = secret

    @classmethod
    def for_store(cls, store: ConversationStore, secret: Optional[str] = None) -> "SessionTokens":
        """With ``secret`` (``FAQBOT_SESSION_SECRET``), else the database's own, shared by every worker."""
        return cls(secret.encode() if secret else _shared_secret(store))

    def issue(self, session_id: str) -> str:
        digest = hmac.new(self.secret, session_id.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode()[:32]

    def valid(self, session_id: str, token) -> bool:
        # a token is ASCII (hex); compare_digest refuses other text rather than answering False
        return isinstance(token, str) and token.isascii() and hmac.compare_digest(self.issue(session_id), token)


def _shared_secret(store: ConversationStore) -> bytes:
    """The database's secret, created by whichever worker comes first."""
    for _ in range(2):
        with store.reading() as conn:
            found = conn.execute(select(kb_state.c.value).where(kb_state.c.key == SECRET_KEY)).scalar()
        if found:
            return found.encode()
        try:
            with store.transaction() as conn:
                conn.execute(insert(kb_state).values(key=SECRET_KEY, value=secrets.token_urlsafe(32),
                                                     updated=time.time()))
        except IntegrityError:
            continue  # another worker created it a moment ago
    raise RuntimeError("could not create the session secret")

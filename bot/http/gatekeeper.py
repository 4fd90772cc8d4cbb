"""Who may go on with a conversation, and how often: the customer routes' checks in one place."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Callable, List, Optional

from fastapi import HTTPException, Request

from bot.config import ServerConfig
from bot.service.rate_limit import RateLimiter
from bot.service.session_tokens import SessionTokens
from bot.store import ConversationStore
from knowledge_base.errors import FaqbotError, Forbidden

log = logging.getLogger("faqbot.gatekeeper")
READS_PER_MESSAGE = 10  # suggestion and welcome-card requests allowed per allowed message
TOO_MANY = "消息发送太频繁，请稍后再试。/ Too many messages, please wait a moment."


class TooManyMessages(FaqbotError):
    """A customer (session or address) sent more than the configured messages per minute: 429."""

    code = "too_many"


class Gatekeeper:
    """Conversation ownership (the browser holding its token) and the per-session and per-address limits."""

    def __init__(self, store: ConversationStore, settings: ServerConfig,
                 limiter: Callable[[str, int], RateLimiter], session_secret: Optional[str] = None,
                 customer_id_secret: str = ""):
        self.store = store
        self.customer_id_secret = customer_id_secret
        self.tokens = SessionTokens.for_store(store, session_secret)
        self.per_session = limiter("session", settings.messages_per_minute_per_session)
        self.per_address = limiter("address", settings.messages_per_minute_per_address)
        # Suggestions fire while typing: a wider budget than messages, still bounded per address.
        self.per_address_reads = limiter("reads", READS_PER_MESSAGE * settings.messages_per_minute_per_address)

    def owner(self, session_id: str, token: Optional[str]) -> None:
        """Only the browser holding the conversation's token reads, rates or votes on it."""
        widget_session(session_id)
        if not self.tokens.valid(session_id, token) and self.store.session(session_id) is not None:
            raise Forbidden("this conversation belongs to another browser (X-Session-Token missing or wrong)")

    def customer(self, given: Optional[str]) -> Optional[str]:
        """The customer id the host page vouches for. With a secret the page sends ``id.signature`` (hex
        HMAC-SHA256 of the id): anything else is no customer id at all — a browser cannot claim to be
        another customer and so join their history on every channel. The message itself is answered."""
        if not given or not self.customer_id_secret:
            return given[:128] if given else None
        value, _, signature = given.rpartition(".")
        expected = hmac.new(self.customer_id_secret.encode(), value.encode(), hashlib.sha256).hexdigest()
        if value and signature.isascii() and hmac.compare_digest(expected, signature):
            return value[:128]
        log.warning("a customer id without a valid signature was ignored")
        return None

    def allows_message(self, session_id: str, address: str) -> bool:
        return self.per_address.allow(address) and self.per_session.allow(session_id)

    def limit(self, session_id: str, address: str) -> None:
        if not self.allows_message(session_id, address):
            raise TooManyMessages()

    def limit_reads(self, address: str) -> None:
        if not self.per_address_reads.allow(address):
            raise TooManyMessages()


OTHER_CHANNELS = ("rasa:", "wechat:", "wecom:")  # their conversations' session ids: never a browser's to start or read


def widget_session(session_id: str) -> None:
    """A browser may not name (and so start, then read) a conversation another channel will carry."""
    if session_id.startswith(OTHER_CHANNELS):
        raise Forbidden("this conversation belongs to another channel")


def address(request: Request) -> str:
    return request.client.host if request.client else "?"


def customer_attributes(given: Optional[dict]) -> Optional[dict]:
    """Customer attributes from the host page: a small flat mapping, nothing else."""
    if not given:
        return None
    if len(given) > 30 or len(json.dumps(given, ensure_ascii=False)) > 2000:
        raise HTTPException(422, "attributes: at most 30 keys and 2000 characters")
    return {str(k)[:64]: v for k, v in given.items() if isinstance(v, (str, int, float, bool)) or v is None}


def context_categories(attributes: str, settings: ServerConfig) -> List[str]:
    """Categories for the customer attributes the page passed, by ``server.welcome_context``."""
    try:
        given = json.loads(attributes) if attributes else {}
    except json.JSONDecodeError:
        raise HTTPException(422, "attributes: not a JSON object")
    if not isinstance(given, dict):
        raise HTTPException(422, "attributes: not a JSON object")
    return [c for name, cats in settings.welcome_context if given.get(name) not in (None, "", False) for c in cats]

"""Which of a Rasa assistant's intents are faqbot's to answer."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

RETRIEVAL_MARK = "/"  # Rasa's retrieval intents: faq/refund is sub-intent refund of intent faq


@dataclass(frozen=True)
class FaqIntents:
    """``"faq/"``: the retrieval intent ``faq`` (Rasa's policies see ``faq``; the sub-intent picks the
    ``utter_faq/…`` response). ``"faq_"`` (any prefix without a slash): every plain intent starting
    with it, each seen by the policies under its own name."""

    pattern: str = "faq/"

    def __post_init__(self):
        if not self.pattern or self.pattern == RETRIEVAL_MARK or self.pattern.count(RETRIEVAL_MARK) > 1 \
                or (RETRIEVAL_MARK in self.pattern and not self.pattern.endswith(RETRIEVAL_MARK)):
            raise ValueError(f"intents: {self.pattern!r} is neither a retrieval intent ('faq/') nor a "
                             f"prefix of plain intents ('faq_')")

    @property
    def retrieval(self) -> bool:
        return self.pattern.endswith(RETRIEVAL_MARK)

    @property
    def retrieval_intent(self) -> str:
        """``faq`` for ``faq/`` (only meaningful for retrieval intents)."""
        return self.pattern[:-1]

    def full_name(self, intent: Optional[str], intent_response_key: Optional[str] = None) -> Optional[str]:
        """The FAQ a training example belongs to (``faq/refund`` or ``faq_refund``), None if not an FAQ."""
        if not intent:
            return None
        if self.retrieval:
            return intent_response_key if intent == self.retrieval_intent and intent_response_key else None
        return intent if intent.startswith(self.pattern) else None

    def owns(self, intent: Optional[str]) -> bool:
        """Whether an intent another classifier predicted is one faqbot answers instead."""
        if not intent:
            return False
        if self.retrieval:
            return intent == self.retrieval_intent or intent.startswith(self.pattern)
        return intent.startswith(self.pattern)

    def policy_intent(self, full_name: str) -> str:
        """The intent Rasa's policies see for an FAQ: ``faq`` for ``faq/refund``, else itself."""
        return self.retrieval_intent if self.retrieval else full_name

"""Whether a customer's text may become a similar question of an entry — judged by the bot itself.

Three suggestions hurt more than they help (issue 19, docs/mining.md "What is never suggested"):
- a text the knowledge base already has (after the bot's normalisation: full width, 繁→简, case,
  punctuation and spaces) adds nothing under its entry and is refused under another;
- a deliberately vague text ("快递", "能优惠吗") that the bot answers by asking which entry was meant:
  filed under one entry it would be answered with that entry and the clarification would be gone;
- a text whose meaning differs from the entry's ("能便宜点吗" is bargaining, 买完降价 is price
  protection) although customers clicked it or the fused ranking puts the entry first: the text must
  be close to one of the entry's own questions in the bot's sentence space.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from knowledge_base.encoders import normalise

ANALYSE_BATCH = 256
SHORT_TEXT = 4  # characters: a clarified text this short is a topic, not a question
KNOWN, VAGUE, FAR = "known", "vague", "far"
_NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True, eq=False)
class TextCheck:
    """What the bot makes of one customer text."""
    text: str
    key: str  # normalised, without punctuation or spaces
    known_in: Optional[str]  # the entry that already has this question
    vague: bool  # the bot asks which of several entries was meant, on purpose (a topic word)
    first: Optional[str]  # the bot's first choice
    confidence: float  # calibrated confidence in the first choice (1.0 when word for word an entry's)
    closeness: Optional[np.ndarray]  # per entry: centred cosine with its closest question; None without vectors

    def nearest(self, entry_ids: Sequence[str]) -> Tuple[Optional[str], float]:
        """The entry with the most similar question, and that similarity."""
        if self.closeness is None or not len(self.closeness):
            return None, 0.0
        at = int(np.argmax(self.closeness))
        return entry_ids[at], round(float(self.closeness[at]), 4)


class PairingCheck:
    """Judges texts against the entries of ``bot`` (a loaded ``bot.engine.Bot``).

    ``min_similarity``: centred cosine between a text and an entry's closest question from which the
    text may be filed under that entry (``curation.mining.min_question_similarity``)."""

    def __init__(self, bot, min_similarity: float):
        self.bot = bot
        self.min_similarity = min_similarity
        entries = list(bot.kb)
        self.entry_ids = [e.id for e in entries]
        self._index = {e.id: i for i, e in enumerate(entries)}
        prepared = bot.retriever.prepare([q for e in entries for q in e.questions])
        sizes = [len(e.questions) for e in entries]
        self._starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        owners = np.repeat(np.arange(len(entries)), sizes)
        self._known: Dict[str, str] = {}
        for text, owner in zip(prepared, owners.tolist()):
            self._known.setdefault(key_of(text), entries[owner].id)
        self._vectors = self._embed(prepared)

    def check(self, texts: Sequence[str]) -> List[TextCheck]:
        texts = list(texts)
        prepared = self.bot.retriever.prepare(texts)
        vectors = self._embed(prepared)
        closeness = None
        if vectors is not None and self._vectors is not None:  # per entry: its closest question
            closeness = np.maximum.reduceat(vectors @ self._vectors.T, self._starts, axis=1)
        found = []
        for start in range(0, len(texts), ANALYSE_BATCH):
            batch = texts[start:start + ANALYSE_BATCH]
            for n, analysis in enumerate(self.bot.analyse(batch), start):
                found.append(self._judged(texts[n], prepared[n], analysis,
                                          None if closeness is None else closeness[n]))
        return found

    def similarity(self, check: TextCheck, entry_id: str) -> Optional[float]:
        """Centred cosine of the text and ``entry_id``'s closest question; None without sentence vectors."""
        index = self._index.get(entry_id)
        if check.closeness is None or index is None:
            return None
        return round(float(check.closeness[index]), 4)

    def refusal(self, check: TextCheck, entry_id: str) -> Optional[str]:
        """Why ``check.text`` must not become a similar question of ``entry_id`` (KNOWN, VAGUE, FAR), or None."""
        if check.known_in is not None:
            return KNOWN
        if check.vague:
            return VAGUE
        similarity = self.similarity(check, entry_id)
        if similarity is None:  # no sentence encoder: the bot's own first choice is the only evidence
            return None if check.first == entry_id else FAR
        return None if similarity >= self.min_similarity else FAR

    def _embed(self, prepared: List[str]) -> Optional[np.ndarray]:
        embedded = self.bot.retriever.embed(prepared) if prepared else None
        if embedded is None:
            return None
        return normalise(np.asarray(embedded, np.float32) - self.bot.retriever.mean_vector())

    def _judged(self, text: str, prepared: str, analysis, closeness: Optional[np.ndarray]) -> TextCheck:
        decision = self.bot.decide(analysis)
        key = key_of(prepared)
        vague = decision.kind == "clarify" and len(decision.picked) > 1 and (analysis.keyword or len(key) <= SHORT_TEXT)
        first = self.entry_ids[int(analysis.entries[0])] if len(analysis.entries) else None
        confidence = 1.0 if analysis.exact else float(analysis.answer_confidence)
        return TextCheck(text, key, self._known.get(key), vague, first, confidence, closeness)


def key_of(prepared: str) -> str:
    """The comparison key of a normalised text: no punctuation, no spaces."""
    return _NOT_WORD.sub("", prepared or "")

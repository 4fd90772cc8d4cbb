"""The runtime: a trained bot folder loaded once, answering one message at a time."""
from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import List, Optional, Sequence

import numpy as np

from intents.confidence import ConfidenceModel
from intents.ranker import FusionRanker
from knowledge_base.chitchat import is_closing
from knowledge_base.encoders import make_encoder
from knowledge_base.entry import KnowledgeBase
from knowledge_base.loader import build_kb
from knowledge_base.entry_scores import Exclusions
from knowledge_base.retriever import Retriever
from knowledge_base.errors import NotFound
from knowledge_base.text.entities import find_entities
from knowledge_base.text.pinyin import sound_key, to_pinyin

from bot.artefact import EXAMPLES, ArtefactError, load_components, read_manifest
from bot.config import load_config
from bot.decision import Analysis, Decision, DecisionPolicy, Transfer
from bot.focus import candidates, focused
from bot.messages import language_of, message
from bot.reply import Option, Reply, ReplyPart
from bot.small_talk import SmallTalk

SHOWN_CANDIDATES = 5
MAX_SOUND_QUESTIONS = 200_000  # questions matched by sound too (a homophone typo): beyond, the table costs seconds at load
SMALL_TALK = "闲聊"  # the category of greetings, thanks and goodbyes


class Bot:
    def __init__(self, folder: Path, manifest: dict, kb: KnowledgeBase, retriever: Retriever,
                 ranker: FusionRanker, confidence: ConfidenceModel, max_chars: int, language: str = "auto",
                 questions: Optional[Sequence[str]] = None):
        self.folder = folder
        self.manifest = manifest
        self.kb = kb
        self.retriever = retriever
        self.ranker = ranker
        self.confidence = confidence
        self.max_chars = max_chars
        self.language = language
        t = manifest["thresholds"]
        self.policy = DecisionPolicy(t["answer"], t["clarify"], t["max_options"],
                                     t.get("wrong_answer_cost", 0.8), t.get("click_cost", 0.25),
                                     t.get("answers_proven", True), t.get("options_floor"))
        self._entries = list(kb)
        self._positions = {e.id: i for i, e in enumerate(self._entries)}  # entry id → index, for picks and topics
        self._today: Optional[date] = None
        self._not_live: Optional[np.ndarray] = None
        self._suggest_index: Optional[list] = None
        if questions is None:  # every question normalised, in the retriever's order
            questions = retriever.prepare([q for e in self._entries for q in e.questions])
        self._exact = _exact_questions(questions, retriever.owners_)
        self._sounds = _exact_questions([sound_key(q) for q in questions] if len(questions) <= MAX_SOUND_QUESTIONS
                                        else [], retriever.owners_)
        self.small_talk = SmallTalk(self._entries, questions, retriever.owners_)

    # -- loading --------------------------------------------------------------------------------
    @classmethod
    def load(cls, folder) -> "Bot":
        folder = Path(folder)
        manifest = read_manifest(folder)
        config = load_config(folder / "config.yml")
        kb = build_kb(((json.loads(line), n, {}) for n, line in enumerate(
            (folder / "kb.jsonl").read_text(encoding="utf-8").splitlines(), 1)), str(folder / "kb.jsonl"))
        spec = manifest.get("encoder_spec")
        encoder = make_encoder(spec["backend"], spec["model"], config.dense.batch_size, spec["extra_model"],
                               spec.get("runtime", "engine")) if spec else None
        if encoder is not None and encoder.name != manifest.get("encoder"):
            raise ArtefactError(f"{folder}: trained with encoder {manifest.get('encoder')!r} but this machine has "
                                f"{encoder.name!r}; its vectors would not match — retrain with `faqbot train`")
        components = load_components(folder, manifest, encoder=encoder)
        retriever = components["retriever"]
        retriever.segmenter.warm_up()
        to_pinyin(["预热"])  # pypinyin loads its phrase dictionary on first use: ~0.4 s a customer would wait
        _single_threaded_blas()
        examples = json.loads((folder / EXAMPLES).read_text(encoding="utf-8"))  # normalised at training: not again
        return cls(folder, manifest, kb, retriever, components["fusion_ranker"], components["confidence"],
                   config.text.max_message_chars, config.language, examples["normalised"])

    def with_thresholds(self, answer: float, clarify: float) -> "Bot":
        """Thresholds tuned on labelled questions: they prove what the confidence is worth."""
        self.policy = self.policy.tuned(answer, clarify)
        return self

    # -- understanding --------------------------------------------------------------------------
    def understand(self, text: Optional[str], whole: bool = False) -> Analysis:
        """One customer message: normalised once, embedded once (with its clauses, unless ``whole``: one
        question the conversation composed, as a follow-up read with its topic), ranked; refused when
        too long or empty."""
        text = text or ""
        if len(text) > self.max_chars:
            return _refused(text, "too_long")
        [normalised] = self.retriever.prepare([text])
        if not normalised:
            return _refused(text, "empty")
        if whole:
            return self._settled(replace(self._analysed([normalised])[0], entities=find_entities(text)))
        return self._understood([text], [normalised])[0]

    def analyse(self, messages: Sequence[str]) -> List[Analysis]:
        """Several messages at once (training, evaluation, mining): one encoder batch."""
        return self._understood(messages, self.retriever.prepare(messages))

    def _understood(self, messages: Sequence[str], texts: List[str]) -> List[Analysis]:
        """Each message's question found among its clauses (bot.focus), small talk and business kept apart
        (bot.small_talk), its numbers kept as entities."""
        scored = [candidates(t) for t in texts]
        flat = iter(self._analysed([c for group in scored for c in group]))
        return [self._settled(replace(focused([next(flat) for _ in group], self._small_talk, self.confident),
                                      entities=find_entities(message)))
                for message, group in zip(messages, scored)]

    def _settled(self, a: Analysis) -> Analysis:
        """Small talk and business questions kept apart (bot.small_talk)."""
        return self.small_talk.settle(a, lambda text: self._analysed([text])[0],
                                      lambda again: self.policy.decide(again).kind in ("answer", "clarify"))

    def confident(self, a: Analysis) -> bool:
        """Answered on its own at full confidence: what a clause needs to stand for the whole message."""
        decision = self.policy.decide(a)
        return decision.kind == "answer" and not decision.way_out

    def _analysed(self, texts: List[str]) -> List[Analysis]:
        encoded = self.retriever.encode(texts)  # the hand-off models read these; the index holds them adapted
        vectors = self.retriever.adapt(texts, encoded)
        scores = self.retriever.predict(texts, vectors, exclusions=Exclusions(entries=self._expired_mask()))
        ranking = self.ranker.predict(scores, self.retriever.counts_)
        lengths = np.array([len(t) for t in texts])
        answer, options = self.confidence.predict(
            self.confidence.features(ranking.proba, ranking.features, lengths))
        live = ~self._expired_mask()[ranking.entries]
        return [self._exact_first(Analysis(texts[i], ranking.entries[i][live[i]], ranking.proba[i][live[i]],
                                           float(answer[i]), float(options[i]), keyword=self._is_keyword(texts[i]),
                                           vector=None if encoded is None else encoded[i]))
                for i in range(len(texts))]

    def pick(self, entry_id: str) -> Analysis:
        """The customer picked ``entry_id`` from the options offered (or a related question)."""
        entry = self.kb.get(entry_id)
        if entry is None or not entry.is_live():
            raise NotFound(f"no live entry {entry_id!r} in this bot's knowledge base")
        index = np.array([self._positions[entry.id]])
        return Analysis(entry.question, index, np.ones(1), 1.0, 1.0, picked=True)

    def _small_talk(self, a: Analysis) -> bool:
        return bool(len(a.entries)) and self.small_talk.is_chitchat(int(a.entries[0]))

    def _is_keyword(self, text: str) -> bool:
        return len(self.retriever.segmenter.predict(text, synonyms=False)) == 1

    def _exact_first(self, a: Analysis) -> Analysis:
        """A message that is word for word a curated question — or sounds exactly like one, an IME's
        homophone typo ("积份有什么用") — gets that entry: what a trainer who just added it expects,
        whatever the learned confidence says."""
        index = self._exact.get(a.text)
        if index is None and self._sounds:
            index = self._sounds.get(sound_key(a.text))
        if index is None or self._expired_mask()[index]:
            return a
        order = np.concatenate([[index], a.entries[a.entries != index]]).astype(a.entries.dtype)
        proba = np.concatenate([[max(a.proba.max(initial=0.0), 1.0 - 1e-6)], a.proba[a.entries != index]])
        return replace(a, entries=order[:len(a.entries)], proba=proba[:len(a.entries)], exact=True)

    def _expired_mask(self) -> np.ndarray:
        """Entries outside their validity dates today are never offered (recomputed daily)."""
        today = date.today()
        if self._today != today:
            self._not_live = np.array([not e.is_live(today) for e in self._entries], dtype=bool)
            self._today = today
        return self._not_live

    # -- deciding and replying ------------------------------------------------------------------
    def decide(self, a: Analysis, transfer: Optional[Transfer] = None,
               policy: Optional[DecisionPolicy] = None) -> Decision:
        """The decision (bot.decision: the one place it is made); ``policy``: other thresholds (tuning)."""
        flagged_parts = tuple(i for i, part in enumerate(a.parts) if self._flagged(part))
        closing = bool(len(a.entries)) and is_closing(self._entries[a.entries[0]])
        return (policy or self.policy).decide(a, self._flagged(a), transfer, flagged_parts, closing)

    def _flagged(self, a: Analysis) -> bool:
        return bool(len(a.entries)) and self._entries[a.entries[0]].handoff

    def respond(self, text: str, channel: str = "default") -> Reply:
        """The reply to one message on its own, with no conversation around it."""
        started = time.perf_counter()
        a = self.understand(text)
        return _with_latency(self.word(a, self.decide(a), channel), started)

    def answer_entry(self, entry_id: str, channel: str = "default") -> Reply:
        """The answer of one entry, e.g. when the customer picks a clarify option."""
        a = self.pick(entry_id)
        return self.word(a, self.decide(a), channel)

    def word(self, a: Analysis, d: Decision, channel: str = "default", routing: Optional[dict] = None) -> Reply:
        """The reply saying ``d``; ``routing``: where a transfer rule sent the conversation (its text is said)."""
        language = self.language_of(a.text)
        reply = self._own_reply(a, d, channel, language)
        if routing is not None:
            reply = replace(reply, decision="handoff", text=routing["text"], handoff=routing)
        elif d.offer is not None or d.way_out:
            reply = replace(reply, text=f"{reply.text}\n\n{message('offer_person' if d.offer else 'way_out', language)}")
        return replace(reply, reasons=list(d.reasons))

    def language_of(self, text: str) -> str:
        """The language to reply in: the configured one, or the message's own."""
        return language_of(text) if self.language == "auto" else self.language

    def suggest(self, typed: str, limit: int = 5) -> List[Option]:
        """Standard questions for what the customer is typing (输入联想): any of an entry's questions
        containing the typed text, those starting with it first, then shorter ones."""
        text = self.retriever.prepare([typed or ""])[0]
        if not text:
            return []
        if self._suggest_index is None:
            self._suggest_index = [(self.retriever.prepare([q])[0], i) for i, e in enumerate(self._entries)
                                   for q in e.questions]
        best = {}
        for question, i in self._suggest_index:
            if text in question and self._entries[i].is_live():
                rank = (not question.startswith(text), len(question))
                best[i] = min(best.get(i, rank), rank)
        ordered = sorted(best, key=best.get)[:limit]
        return [Option(self._entries[i].id, self._entries[i].question) for i in ordered]

    def welcome(self, popular: Sequence[str], categories: Sequence[str] = (), limit: int = 5) -> List[Option]:
        """猜你想问: entries in the host page's context categories first (e.g. 物流 for a shipped order),
        then the most asked ones, then the KB's own order; chit-chat and hand-off topics are left out."""
        live = [e for e in self._entries if e.is_live() and not e.handoff and not e.category.startswith(SMALL_TALK)]
        by_id = {e.id: e for e in live}
        in_context = [e.id for c in categories if c for e in live if e.category.startswith(c)]  # context order
        ordered = list(dict.fromkeys([*in_context, *(p for p in popular if p in by_id), *by_id]))
        return [Option(i, by_id[i].question) for i in ordered[:limit]]

    def _related(self, entry) -> List[Option]:
        today = date.today()
        return [Option(r, self.kb[r].question) for r in entry.related if self.kb.get(r) and self.kb[r].is_live(today)]

    def _own_reply(self, a: Analysis, d: Decision, channel: str, language: str) -> Reply:
        if a.refused:
            return Reply("fallback", message(a.refused, language, limit=self.max_chars))
        candidates = [self._option(a, i) for i in range(min(SHOWN_CANDIDATES, len(a.entries)))]
        kind = d.proposed or d.kind
        if kind == "answer" and d.parts:
            return self._answers(a, d, channel, language, candidates)
        if kind in ("answer", "handoff"):
            return self._answer(self._entries[a.entries[0]], channel, language, candidates, a.answer_confidence)
        if kind == "clarify":
            options = [self._option(a, i) for i in d.picked]
            text = message("clarify", language) + "".join(
                f"\n{n}. {o.question}" for n, o in enumerate(options, 1))
            return Reply("clarify", text, options=options, candidates=candidates, confidence=a.options_confidence)
        return Reply("fallback", message("fallback", language), candidates=candidates,
                     confidence=a.answer_confidence)

    def _answer(self, entry, channel: str, language: str, candidates: Sequence[Option] = (),
                confidence: float = 0.0) -> Reply:
        """The entry's answer; an entry flagged ``handoff: true`` (complaints, legal threats, stolen
        accounts) is handed to a person with it, never answered by the bot alone."""
        if entry.handoff:
            return Reply("handoff", entry.answer_for() or message("handoff", language), entry.id,
                         related=self._related(entry), candidates=list(candidates), confidence=confidence)
        return Reply("answer", entry.answer_for(channel, language) or message("no_answer", language), entry.id,
                     related=self._related(entry), candidates=list(candidates), confidence=confidence)

    def _answers(self, a: Analysis, d: Decision, channel: str, language: str, candidates) -> Reply:
        """Several questions of one message answered in one reply, each labelled with its question."""
        entries = [self._entries[a.parts[i].entries[0]] for i in d.parts]
        answers = [e.answer_for(channel) or message("no_answer", language) for e in entries]
        parts = [ReplyPart(e.id, e.question, answer, message("about", language, n=n, question=e.question, answer=answer))
                 for n, (e, answer) in enumerate(zip(entries, answers), 1)]
        text = "\n".join(p.text for p in parts)
        return Reply("answer", text, parts[-1].entry_id, related=self._related(entries[-1]),
                     candidates=list(candidates), confidence=a.answer_confidence, parts=parts)

    def _option(self, a: Analysis, i: int) -> Option:
        entry = self._entries[a.entries[i]]
        return Option(entry.id, entry.question, round(float(a.proba[i]), 4))

    def entry_index(self, entry_id: str) -> int:
        return self._positions[entry_id]

    def entry_ids(self, analysis: Analysis) -> List[str]:
        return [self._entries[i].id for i in analysis.entries]


def _exact_questions(questions: Sequence[str], owners: np.ndarray) -> dict:
    """Normalised question → entry index, for questions that belong to one entry only."""
    found: dict = {}
    for text, owner in zip(questions, owners.tolist()):
        found.setdefault(text, set()).add(owner)
    return {text: next(iter(entries)) for text, entries in found.items() if len(entries) == 1 and text}


def _single_threaded_blas() -> None:
    """One message is a small matrix product (or index search): BLAS and faiss threads only fight the
    encoder's OpenMP threads.

    Measured on bq-dev-fewshot (2 cores): p50 25 ms → 11 ms, p95 110 ms → 19 ms.
    """
    import faiss
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")
    faiss.omp_set_num_threads(1)


def _refused(text: str, why: str) -> Analysis:
    return Analysis(text, np.zeros(0, np.int64), np.zeros(0), 0.0, 0.0, refused=why)


def _with_latency(reply: Reply, started: float) -> Reply:
    return replace(reply, latency_ms=round((time.perf_counter() - started) * 1000, 2))

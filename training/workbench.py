"""The trainers' workbench in one object: the draft, its test window, quality checks, suggestions from
traffic, the test set, versions and the audit log — what the CLI and the trainer pages call.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import List, Optional, Set, Tuple

from bot.config import Config
from bot.engine import Bot
from bot.store import ConversationStore
from handoff.router import HandoffRouter
from knowledge_base.chitchat import with_chitchat
from knowledge_base.entry import KnowledgeBase

from training import audit
from training.draft import Draft
from training.publisher import Publisher
from training.suggestions import Suggestions
from training.test_set import TestSet
from training.model_cache import train_cached

log = logging.getLogger(__name__)


class Workbench:
    def __init__(self, store: ConversationStore, config: Config, show_progress: bool = False):
        self.store = store
        self.config = config
        self.publisher = Publisher(store, config, show_progress)
        self.draft: Draft = self.publisher.draft
        self.tests: TestSet = self.publisher.tests
        self.suggestions = Suggestions(store)
        self._draft_bot: Tuple[int, Optional[Bot]] = (-1, None)
        self._draft_error: Tuple[int, str] = (-1, "")
        self._router: Tuple[Optional[Bot], Optional[HandoffRouter]] = (None, None)
        self._training = threading.Lock()  # held while the draft trains
        self._progress: Tuple[int, Optional[dict]] = (-1, None)  # (revision, its training's current step)

    def audit(self, limit: int = 100, target: Optional[str] = None, before: Optional[int] = None) -> List[dict]:
        return audit.entries(self.store, limit, target, before)

    def answerable_ids(self, kb: Optional[KnowledgeBase] = None) -> Set[str]:
        """The entries a test case may expect: the draft's (or ``kb``'s) published ones and the built-in
        chit-chat the trained bot adds to them."""
        kb = self.draft.knowledge_base() if kb is None else kb
        return {e.id for e in with_chitchat(kb, self.config.chitchat).published()}

    # -- first start ----------------------------------------------------------------------------
    def start(self, kb: KnowledgeBase, actor: str = "system") -> Bot:
        """The bot to serve: the live version; on a database without versions the draft and the test
        set are seeded from ``kb`` and ``curation.test_set``, and published as version 1."""
        if self.publisher.live() is None:
            self.draft.seed(kb, actor)
            self.tests.seed(self.config.curation.test_set, actor, self.answerable_ids(kb))
            self.publisher.publish(actor, f"first version, from {Path(kb.source).name}", force=True)
        return self.publisher.load(self.publisher.live())

    # -- the draft as the bot would answer it ---------------------------------------------------
    def draft_bot(self) -> Bot:
        """The draft trained (cached by content: unchanged drafts and earlier drafts cost nothing);
        waits while it trains."""
        with self._training:
            revision = self.draft.revision()
            if self._draft_bot[0] != revision:
                self._draft_bot = (revision, self._trained(revision))
            return self._draft_bot[1]

    def ready_draft(self) -> Tuple[int, Optional[Bot], Optional[HandoffRouter]]:
        """(revision, bot, transfer rules) of the current draft — or (revision, None, None) while it
        retrains in the background (started here): the 测试窗 says so instead of showing the answer of
        an earlier draft."""
        revision = self.draft.revision()
        cached, bot = self._draft_bot
        if cached == revision and bot is not None:
            return revision, bot, self._draft_router(bot)
        if self.draft_error(revision) is None and self._training.acquire(blocking=False):  # a failed one waits for an edit
            threading.Thread(target=self._train_in_background, name="draft-training", daemon=True).start()
        return revision, None, None

    def _train_in_background(self) -> None:
        """Holds ``_training`` (acquired by the caller) until the newest draft revision is trained."""
        try:
            while self._draft_bot[0] != self.draft.revision():
                revision = self.draft.revision()
                try:
                    self._draft_bot = (revision, self._trained(revision))
                except Exception as exc:  # a draft that does not train: said on the next try, not lost
                    self._draft_error = (revision, str(exc))
                    log.warning("draft revision %s did not train: %s", revision, type(exc).__name__)
                    return
        finally:
            self._training.release()

    def close(self, timeout: float = 120.0) -> None:
        """Wait for a draft training in the background to end (the server is stopping): a thread left
        running would read a database that is going away."""
        if self._training.acquire(timeout=timeout):
            self._training.release()

    def training_progress(self, revision: int) -> Optional[dict]:
        """The step the draft ``revision`` is training at ({step, done, total}); None before its first."""
        return self._progress[1] if self._progress[0] == revision else None

    def draft_error(self, revision: int) -> Optional[str]:
        return self._draft_error[1] if self._draft_error[0] == revision else None

    def _trained(self, revision: int) -> Bot:
        def report(step: str, done: int, total: int) -> None:
            self._progress = (revision, {"step": step, "done": done, "total": total})

        bot, _ = train_cached(None, self.config, False, kb=self.draft.knowledge_base(),
                              base=self.publisher.calibration_base(), report=report)
        return bot

    def _draft_router(self, bot: Bot) -> HandoffRouter:
        """The draft's transfer rules, built once per trained draft (its encoder scores emotion and requests)."""
        if self._router[0] is not bot:
            self._router = (bot, HandoffRouter.for_bot(self.config.handoff, bot))
        return self._router[1]

    def search(self, text: str = "", category: str = "", status: str = "", limit: int = 50, offset: int = 0,
               live: Optional[Bot] = None) -> dict:
        """The trainers' entry search, ranked by the retrieval the bot answers with: the last trained
        draft's (never trained for a search), else ``live``; entries it does not know yet are found by
        their words."""
        bot = self._draft_bot[1] or live
        scores = None
        if bot is not None and text.strip():
            [analysis] = bot.analyse([text.strip()])
            scores = dict(zip(bot.entry_ids(analysis), map(float, analysis.proba)))
        return self.draft.search(text, category, status, limit, offset, scores)

    def quality(self, bot: Optional[Bot] = None, language: str = "zh") -> List[dict]:
        """The quality checks on the draft, worded in ``language`` (zh | en)."""
        from knowledge_base.quality import check_quality
        from training.quality_words import worded

        kb = self.draft.knowledge_base()
        retriever = bot.retriever if bot is not None else None
        return worded([f.to_dict() for f in check_quality(kb, self.config.curation, retriever)], kb, language)

    def analytics(self, days: int = 30) -> list:
        """Per draft entry: hits, helpful rate, clarify/fallback share near it, last asked, stale (training/analytics.py)."""
        from training.analytics import knowledge_analytics

        return knowledge_analytics(self.store, self.draft.knowledge_base(), days,
                                   self.config.curation.expiring_within_days)

    # -- learning from traffic ------------------------------------------------------------------
    def mine(self, bot: Bot, since: Optional[float] = None) -> dict:
        """Cluster recent unanswered questions, clarify/feedback mappings and agents' answers in
        hand-offs into open suggestions — none that the KB has, that is vague on purpose, or that
        differs in meaning from its entry (training/suggestion_checks.py)."""
        from training.agent_answers import agent_answers, agent_suggestions
        from training.mining import mine, unknown_messages
        from training.suggestion_checks import PairingCheck

        settings = self.config.curation.mining
        check = PairingCheck(bot, settings.min_question_similarity)
        clusters = [c.to_dict() for c in mine(unknown_messages(self.store, since, settings.max_messages), bot, settings,
                                            check)]
        for cluster in clusters:
            closest = cluster["suggestion"].get("closest_entry")
            cluster["suggestion"]["closest_question"] = bot.kb[closest].question if bot.kb.get(closest) else ""
        handed = agent_suggestions(agent_answers(self.store, since), check)
        return {"mined": self.suggestions.refresh("mined", clusters),
                "learned": self.suggestions.refresh("learned", self._learned(check, since)),
                "handoff": self.suggestions.refresh("handoff", handed)}

    def _learned(self, check, since: Optional[float]) -> List[dict]:
        """Questions tied to an entry by clicks and votes, kept only when the bot itself finds them close."""
        from training.feedback_learning import learned_questions

        kb = self.draft.knowledge_base()
        learned = [q for q in learned_questions(self.store, kb, self.config.curation.suggest_after, since)
                   if check.bot.kb.get(q.entry_id) is not None]
        kept = []
        for question, judged in zip(learned, check.check([q.text for q in learned])):
            if check.refusal(judged, question.entry_id) is None:
                kept.append(dict(question.to_dict(), entry_question=kb[question.entry_id].question,
                                 evidence={"similarity": check.similarity(judged, question.entry_id)}))
        return kept

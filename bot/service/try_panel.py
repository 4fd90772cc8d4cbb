"""测试窗: a question answered by the draft exactly as customers would be answered once it is live —
the same conversation path (``ChatSession``: understanding, the decision, the transfer rules with the
desk's real queue, the wording) — beside the live version's reply.

While the draft retrains after an edit, the draft's side says so (``retraining``, with the training's
current step) instead of showing what an earlier draft would have replied; the page asks again until
it is ready.
"""
from __future__ import annotations

from typing import Optional

from bot.engine import Bot
from bot.service.chat import ChatSession
from handoff.turn import NoQueue


class TryPanel:
    def __init__(self, workbench, queue=None, lookups=None):
        self.workbench = workbench
        self.queue = queue if queue is not None else NoQueue()  # the agent desk: who is online, who waits
        self.lookups = lookups  # an entry's action runs against the configured service, as for customers

    def ask(self, text: str, channel: str = "default", live: Optional[Bot] = None, live_router=None) -> dict:
        revision, bot, router = self.workbench.ready_draft()
        result = {"draft_revision": revision, "retraining": bot is None,
                  "draft_error": self.workbench.draft_error(revision)}
        if bot is None:  # the step it trains at ({step, done, total}), None until the first
            result["progress"] = self.workbench.training_progress(revision)
        if bot is not None:
            result["draft"] = explained(bot, router, text, channel, self.queue, self.lookups)
        if live is not None:
            result["live"] = explained(live, live_router, text, channel, self.queue, self.lookups)
            result["live_version"] = self.workbench.publisher.live()
        return result


def explained(bot: Bot, router, text: str, channel: str, queue, lookups=None) -> dict:
    """The reply of a new conversation's first message, with what a trainer needs to read it."""
    reply = ChatSession(bot, channel, router, lookups=lookups).send(text, queue=queue)
    data = reply.to_dict()
    # answered because it is word for word a curated question, whatever the confidence says
    data["exact_match"] = reply.decision != "fallback" and bool(bot.analyse([text])[0].exact)
    data["thresholds"] = {"answer": bot.policy.answer_threshold, "clarify": bot.policy.offer_from}  # options from here
    return data

"""The one place a turn's decision is made — answer, clarify, fall back or hand off — with its reasons.

It sees what the bot understood of the message (``Analysis``: the ranking and its calibrated
confidences), whether the answering entry is flagged for a person, and the transfer rules' verdict
on the conversation (``Transfer``). The engine asks it without a verdict (``faqbot ask``, the
evaluators); a conversation asks it again once the rules have looked at the bot's own decision.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional, Tuple

import numpy as np

# An option must carry at least this share of the top candidate's match probability to be offered.
MIN_OPTION_SHARE = 0.15
# A courtesy (greeting, thanks, goodbye, "好的") answered wrongly costs a smile, a business answer given wrongly
# a customer: courtesies are answered from this share of the clarify threshold; small talk about the bot itself
# (robot, praise, criticism) from the threshold — "那你们老板是谁" was told the bot is a robot, "我已经很有耐心了
# 今天必须给我个说法" thanked for the praise.
SMALL_TALK_SHARE = 0.5
MAX_ANSWERED_PARTS = 3  # questions of one message answered in one reply
FLAGGED = "flagged_entry"  # the transfer of an entry flagged ``handoff: true`` when no rule fired
LOOKUP_FAILED = "lookup_failed"  # the transfer when an entry's lookup failed and its action says ``on_failure: handoff``


@dataclass(frozen=True)
class Analysis:
    """Everything the bot worked out about one message, before deciding and wording a reply."""

    text: str  # the message normalised once; every later step reads this
    entries: np.ndarray  # candidate entry indices, best first
    proba: np.ndarray
    answer_confidence: float
    options_confidence: float
    exact: bool = False  # the message is one of the first entry's questions, word for word or sound for sound
    keyword: bool = False  # the message is one word: a topic ("快递"), not a question
    picked: bool = False  # the customer picked the first entry from the options offered
    narrowed: bool = False  # of the options, the first is the only one next to the conversation's topic (bot.follow_up)
    refused: Optional[str] = None  # "empty" or "too_long": a message the bot does not try to understand
    vector: Optional[np.ndarray] = None  # the message's sentence vector, for whoever needs it next (emotion)
    small_talk: bool = False  # the first entry is chit-chat (bot.small_talk): answered, never offered as options
    pleasantry: bool = False  # the message is mostly small-talk phrases ("多谢多谢", "解决了 谢谢你 再见")
    courtesy: bool = False  # the first entry is a greeting, thanks, goodbye or "好的" (knowledge_base.chitchat)
    entities: tuple = ()  # numbers found in the message (knowledge_base.text.entities.Entity), masked for matching
    parts: tuple = ()  # the message's clauses, each analysed (bot.focus): several questions in one message


@dataclass(frozen=True)
class Transfer:
    """A person takes over: which transfer rule fired (or the entry's flag) and why. A rule that only
    reads the conversation's history (fallbacks, ignored options, emotion) does not ``insist``: it
    never withholds a confident answer; one that reads this message (转人工, a complaint) does."""

    rule: str
    reason: str
    insists: bool = True


@dataclass(frozen=True)
class Decision:
    kind: str  # answer | clarify | fallback | handoff
    picked: Tuple[int, ...] = ()  # candidate positions offered: the answer, or the clarify options
    reasons: Tuple[str, ...] = ()  # why, in words, for `faqbot ask` and `faqbot handoff explain`
    transfer: Optional[Transfer] = None  # set when kind is handoff
    proposed: str = ""  # with a transfer: what the bot alone would have done
    offer: Optional[Transfer] = None  # a person offered beside a confident answer, not forced
    way_out: bool = False  # answered the one plausible entry without full confidence: say how to ask again
    parts: Tuple[int, ...] = ()  # with several questions in the message: the ``Analysis.parts`` answered


@dataclass(frozen=True)
class DecisionPolicy:
    answer_threshold: float
    clarify_threshold: float
    max_options: int = 3
    wrong_answer_cost: float = 0.8  # a wrong answer's cost, a missed answer costing 1 (decision.wrong_answer_cost)
    click_cost: float = 0.25  # what choosing among options costs the customer (decision.click_cost)
    answers_proven: bool = True  # False: no held-out similar questions showed what the confidence is worth
    # Trained ("auto") thresholds: options are offered from min(clarify threshold, click_cost) — a click plus
    # a miss when none is right (click + 1 − q) costs less than a fallback (1) once q > click_cost. None (set or
    # tuned thresholds): from the clarify threshold, which small talk always reads.
    options_floor: Optional[float] = None

    def decide(self, a: Analysis, flagged: bool = False, transfer: Optional[Transfer] = None,
               flagged_parts: Tuple[int, ...] = (), closing: bool = False) -> Decision:
        """The decision on ``a``; ``flagged``: its top entry is always handed to a person (``flagged_parts``:
        the parts whose top entry is); ``transfer``: the verdict of the transfer rules, which hands the
        conversation over whatever the ranking says; ``closing``: the top entry is a thanks or goodbye."""
        own = self._from_ranking(a, flagged_parts)
        if own.kind == "answer" and flagged:
            own = Decision("handoff", own.picked, own.reasons + ("the entry is always answered by a person",),
                           Transfer(FLAGGED, "entry flagged handoff"), "answer")
        if transfer is None:
            return own
        if own.kind == "answer" and closing and not transfer.insists:
            return replace(own, reasons=own.reasons + (f"rule {transfer.rule} ({transfer.reason}) not applied: the "
                                                       "customer is done (thanks, goodbye)",))
        if own.kind == "answer" and not own.way_out and not a.small_talk and not transfer.insists:
            return replace(own, reasons=own.reasons + (f"rule {transfer.rule} ({transfer.reason}) offers a person; "
                                                       "a confident answer is never withheld",), offer=transfer)
        return Decision("handoff", own.picked, own.reasons + (f"rule {transfer.rule}: {transfer.reason}",),
                        transfer, own.proposed or own.kind)

    def _from_ranking(self, a: Analysis, flagged_parts: Tuple[int, ...] = ()) -> Decision:
        if a.refused:
            return Decision("fallback", (), (f"message {a.refused.replace('_', ' ')}",))
        if len(a.proba) == 0:
            return Decision("fallback", (), ("no entry fits",))
        if a.picked:
            return Decision("answer", (0,), ("picked from the options offered",))
        if a.narrowed:
            return Decision("answer", (0,), ("of the options, the only one related to the conversation's topic",),
                            way_out=True)
        several = self._confident_parts(a)
        if len(several) > 1 and not set(several) & set(flagged_parts):
            return Decision("answer", (0,), (f"answered {len(several)} questions of one message, each with "
                                             f"confidence ≥ answer threshold {self.answer_threshold:.2f}",),
                            parts=several)
        if a.exact:
            return Decision("answer", (0,), ("the message is one of the entry's questions (word for word, or as it "
                                             "sounds)",))
        if a.small_talk:
            return self._small_talk(a)
        return self._by_confidence(a)

    def _small_talk(self, a: Analysis) -> Decision:
        """Small talk is answered or not understood, never offered as options."""
        floor = (SMALL_TALK_SHARE if a.courtesy else 1.0) * self.clarify_threshold
        if a.pleasantry or a.options_confidence >= floor:
            why = "said in small-talk phrases" if a.pleasantry else f"options confidence {a.options_confidence:.2f}"
            return Decision("answer", (0,), (f"small talk, {why}: a pleasantry is answered, never offered as an option",))
        kind = "a courtesy" if a.courtesy else "about the bot itself"
        return Decision("fallback", (), (f"small talk {kind}, options confidence {a.options_confidence:.2f} < "
                                         f"{floor:.2f}: not understood, never offered as an option",))

    def _confident_parts(self, a: Analysis) -> Tuple[int, ...]:
        """The message's clauses that would each be answered confidently on their own, about different entries (in
        the message's order, at most MAX_ANSWERED_PARTS). A complaint or request for a person among
        them (``flagged_parts``) leaves the message to its own decision."""
        found, seen = [], set()
        for i, part in enumerate(a.parts):
            answered = len(part.entries) and (part.exact or self._by_confidence(part).kind == "answer"
                                              and part.answer_confidence >= self.answer_threshold)
            if answered and int(part.entries[0]) not in seen:
                found.append(i)
                seen.add(int(part.entries[0]))
        return tuple(found[:MAX_ANSWERED_PARTS])

    def _by_confidence(self, a: Analysis) -> Decision:
        """A bare ``keyword`` ("快递", "refund") that fits several entries is asked about, never guessed:
        the learned confidence has seen questions, not topics, so it cannot know a topic is vague."""
        if not self.answers_proven:
            return self._ask_unproven(a)
        top = float(a.proba[0]) or 1e-9
        keep = tuple(i for i in range(min(self.max_options, len(a.proba))) if a.proba[i] >= MIN_OPTION_SHARE * top)
        if a.answer_confidence >= self.answer_threshold and not (a.keyword and len(keep) > 1):
            return Decision("answer", (0,), (f"confidence {a.answer_confidence:.2f} ≥ answer threshold "
                                             f"{self.answer_threshold:.2f}",))
        options = f"options confidence {a.options_confidence:.2f}"
        if a.options_confidence >= self.offer_from:
            if len(keep) <= 1:  # asking "did you mean X?" about one option is a slower answer, or none
                return self._one_option(a, options)
            if a.keyword:
                return Decision("clarify", keep, (f"a bare keyword fitting {len(keep)} entries",))
            return self._answer_or_ask(a, keep, options)
        return Decision("fallback", (), (f"{options} < {self._floor_words()}",))

    def tuned(self, answer: float, clarify: float) -> "DecisionPolicy":
        """Thresholds chosen on labelled questions: they prove the confidence, and options are offered from
        the clarify threshold they chose."""
        return replace(self, answer_threshold=answer, clarify_threshold=clarify, answers_proven=True,
                       options_floor=None)

    @property
    def offer_from(self) -> float:
        """The options confidence from which options are offered (``options_floor`` when training set it)."""
        return self.clarify_threshold if self.options_floor is None else self.options_floor

    def _floor_words(self) -> str:
        if self.offer_from < self.clarify_threshold:
            return f"{self.offer_from:.2f}, where options start to be worth a click"
        return f"clarify threshold {self.clarify_threshold:.2f}"

    def _ask_unproven(self, a: Analysis) -> Decision:
        """A KB with no similar questions never showed how customers' paraphrases rank, so its confidence
        is not a probability worth answering on: word-for-word questions are answered (above), the rest
        offered as options — the first candidates, since their shares are as unproven as the confidence."""
        options = f"options confidence {a.options_confidence:.2f}"
        if a.options_confidence < self.offer_from:
            return Decision("fallback", (), (f"{options} < {self._floor_words()}",))
        keep = tuple(range(min(self.max_options, len(a.proba))))
        return Decision("clarify", keep, (f"{options} ≥ {self.offer_from:.2f}; the KB has no similar questions "
                                          "to prove its confidence, so it asks, never guesses",))

    def _answer_or_ask(self, a: Analysis, keep: Tuple[int, ...], options: str) -> Decision:
        """Answer the first candidate or offer ``keep``, whichever costs the customer less: a wrong answer
        costs ``wrong_answer_cost`` (with probability 1 − p), the options a click plus a miss when none of
        them is right (1 − q). Options pay only when the others carry real probability, not whenever
        the answer threshold is missed."""
        p, q = a.answer_confidence, a.options_confidence
        answering, asking = (q - p) + (1.0 - p) * self.wrong_answer_cost, self.click_cost
        if answering <= asking:
            return Decision("answer", (0,), (f"confidence {p:.2f}: a wrong answer would cost {answering:.2f}, the "
                                             f"options {asking:.2f} ({options})",), way_out=True)
        return Decision("clarify", keep, (f"{options} ≥ {self.offer_from:.2f}; the options "
                                          f"cost {asking:.2f}, an answer {answering:.2f}",))

    def _one_option(self, a: Analysis, options: str) -> Decision:
        """Only one plausible entry, and "did you mean X?" is a slower answer: answered (saying how to ask
        again) when answering costs less than falling back — the chance p it is right against
        ``wrong_answer_cost`` (a missed answer costing 1): p · 1 > (1 − p) · cost."""
        floor = self.wrong_answer_cost / (1.0 + self.wrong_answer_cost)
        if a.answer_confidence >= floor:
            return Decision("answer", (0,), (f"{options} ≥ {self.offer_from:.2f} and only one plausible option, "
                                             f"confidence {a.answer_confidence:.2f} ≥ {floor:.2f}",),
                            way_out=a.answer_confidence < self.answer_threshold)
        return Decision("fallback", (), (f"only one plausible option, confidence {a.answer_confidence:.2f} < "
                                         f"{floor:.2f}: a wrong answer would cost more than a miss",))

"""faqbot's reply as what a Rasa NLU pipeline outputs: intent, intent ranking, response selector.

Plain data in, plain data out: no Rasa import, so the mapping is tested in faqbot's own suite.

- answer: the FAQ's intent (``faq`` with the response selector naming ``utter_faq/<name>``, or the
  plain ``faq_<name>`` intent); clarify: ``faqbot_clarify``; hand-off: ``faqbot_handoff``;
  fallback: whatever another classifier earlier in the pipeline predicted, else ``nlu_fallback``.
- A non-FAQ intent another classifier predicted with confidence ≥ ``keep_intents_above`` stands
  (a task intent such as ``order_pizza``), except against a hand-off.
- Everything faqbot decided is under ``parse_data["faqbot"]`` for actions and for the next turn.
"""
from __future__ import annotations

from typing import Dict, List, Mapping, Optional

from bot.reply import Reply

from integrations.rasa.names import FALLBACK_INTENT
from integrations.rasa.settings import ComponentSettings


def faqbot_data(reply: Reply, intent_of: Mapping[str, str], picked: bool = False, emotion: float = 0.0) -> dict:
    """``parse_data["faqbot"]``: the decision, texts, options (each with a button payload),
    hand-off routing, and what the next turn's transfer rules need (picked, emotion)."""
    def option(o, with_score=True) -> dict:
        data = {"id": o.id, "question": o.question, "intent": intent_of.get(o.id), "payload": o.question}
        return dict(data, score=o.score) if with_score else data

    return {
        "decision": reply.decision,
        "text": reply.text,
        "entry_id": reply.entry_id,
        "intent": intent_of.get(reply.entry_id) if reply.entry_id else None,
        "confidence": round(float(reply.confidence), 4),
        "options": [option(o) for o in reply.options],
        "related": [option(o, with_score=False) for o in reply.related],
        "candidates": [{"id": c.id, "intent": intent_of.get(c.id), "score": c.score} for c in reply.candidates],
        "handoff": reply.handoff,
        "picked": picked,
        "emotion": round(float(emotion), 4),
        "used": True,
    }


def parse_fields(data: dict, settings: ComponentSettings, responses: Mapping[str, list],
                 previous: Optional[Mapping] = None, previous_ranking: Optional[List[Mapping]] = None) -> Dict:
    """The message fields to set: ``intent``, ``intent_ranking``, and ``response_selector`` when
    answering a retrieval intent. ``previous``/``previous_ranking``: another classifier's output."""
    faq = settings.faq_intents
    ours = {FALLBACK_INTENT, settings.clarify_intent, settings.handoff_intent}
    others = [dict(r) for r in previous_ranking or [] if r.get("name") and not faq.owns(r["name"])
              and r["name"] not in ours]
    other = dict(previous) if previous and previous.get("name") and not faq.owns(previous["name"]) \
        and previous["name"] not in ours else None
    decision = data["decision"]
    keep_other = other is not None and (
        decision == "fallback" or (decision != "handoff" and other.get("confidence", 0.0) >= settings.keep_intents_above))
    candidates = data["candidates"]
    if keep_other:
        chosen = {"name": other["name"], "confidence": float(other.get("confidence", 0.0))}
    elif decision == "answer":
        chosen = {"name": faq.policy_intent(data["intent"]), "confidence": data["confidence"]}
    elif decision == "clarify":
        chosen = {"name": settings.clarify_intent, "confidence": data["confidence"]}
    elif decision == "handoff":
        chosen = {"name": settings.handoff_intent, "confidence": 1.0 if data["handoff"] else data["confidence"]}
    else:
        chosen = {"name": FALLBACK_INTENT, "confidence": round(1.0 - data["confidence"], 4)}
    if faq.retrieval:
        faq_ranking = [{"name": faq.retrieval_intent, "confidence": candidates[0]["score"]}] if candidates else []
    else:
        faq_ranking = [{"name": c["intent"], "confidence": c["score"]} for c in candidates if c["intent"]]
    rest = sorted((r for r in faq_ranking + others if r["name"] != chosen["name"]),
                  key=lambda r: -float(r.get("confidence", 0.0)))
    fields = {"intent": chosen, "intent_ranking": [chosen] + _first_of_each(rest)}
    data["used"] = not keep_other
    if not keep_other and decision == "answer" and faq.retrieval:
        fields["response_selector"] = _response_selector(data, faq.retrieval_intent, responses)
    return fields


def _first_of_each(ranking: List[dict]) -> List[dict]:
    seen, kept = set(), []
    for r in ranking:
        if r["name"] not in seen:
            seen.add(r["name"])
            kept.append({"name": r["name"], "confidence": float(r.get("confidence", 0.0))})
    return kept


def _response_selector(data: dict, retrieval_intent: str, responses: Mapping[str, list]) -> dict:
    """What Rasa's ResponseSelector would output, so the usual rule ``intent: faq`` → ``utter_faq``
    utters the answer faqbot chose."""
    full = data["intent"]
    return {
        "all_retrieval_intents": [retrieval_intent],
        retrieval_intent: {
            "response": {
                "responses": list(responses.get(f"utter_{full}") or [{"text": data["text"]}]),
                "confidence": data["confidence"],
                "intent_response_key": full,
                "utter_action": f"utter_{full}",
            },
            "ranking": [{"confidence": c["score"], "intent_response_key": c["intent"]}
                        for c in data["candidates"] if c["intent"]],
        },
    }

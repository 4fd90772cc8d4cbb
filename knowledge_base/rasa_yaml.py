"""Rasa NLU YAML (``version: "3.1"``) in and out, so a team can bring its Rasa data and take it back.

An entry is an intent: the standard question is the first example, similar questions follow.
Entries with answers become retrieval intents ``faq/<id>`` whose ``utter_faq/<id>`` responses hold
the answer (channel variants use Rasa's ``channel`` key). Everything else faqbot knows about an
entry (category, keywords, related, validity, hand-off flag…) travels in the intent's ``metadata``,
which Rasa keeps and ignores, so a round trip loses nothing.
"""
from __future__ import annotations

import json
import re
from typing import Dict, List, Tuple

import yaml

from knowledge_base import safe_yaml
from knowledge_base.entry import KnowledgeBase
from knowledge_base.problems import Problem

RETRIEVAL_PREFIX = "faq/"
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
META_KEY = "faqbot"
EXTRA_RESPONSES = "rasa_extra_responses"  # response variations beyond one text per channel, kept as-is
_META_FIELDS = ("category", "keywords", "related", "tags", "metadata", "valid_from", "valid_to", "status", "handoff",
                "action")


def is_rasa_document(root: yaml.Node) -> bool:
    return isinstance(root, yaml.MappingNode) and any(k.value in ("nlu", "responses") for k, _ in root.value)


def read_records(root: yaml.MappingNode, source: str, problems: list) -> List[Tuple[dict, int, dict]]:
    """Records (fields, line, field lines) for the loader, from a composed Rasa YAML document."""

    sections = {k.value: v for k, v in root.value}
    responses = safe_yaml.to_python(sections["responses"]) if "responses" in sections else {}
    records = []
    nlu = sections.get("nlu")
    for node in (nlu.value if isinstance(nlu, yaml.SequenceNode) else []):
        line = node.start_mark.line + 1
        item = safe_yaml.to_python(node)
        if not isinstance(item, dict) or "intent" not in item:
            continue  # synonyms, regexes and lookups are not FAQ entries
        examples = _examples(item.get("examples"))
        if not examples:
            problems.append(Problem(source, line, "examples", f"intent {item['intent']!r} has no examples"))
            continue
        meta = (item.get("metadata") or {}).get(META_KEY, {}) if isinstance(item.get("metadata"), dict) else {}
        meta = meta if isinstance(meta, dict) else {}
        intent = str(item["intent"])
        data = {"id": meta.get("id", entry_id_of(intent)), "question": examples[0], "similar": examples[1:]}
        data.update({k: meta[k] for k in _META_FIELDS if k in meta})
        answer, extra = _answer(responses or {}, intent)
        if answer:
            data["answer"] = answer
        if extra:  # faqbot answers with one text per channel; the rest is kept, not dropped
            data["metadata"] = dict(data.get("metadata") or {}, **{EXTRA_RESPONSES: extra})
        records.append((data, line, {}))
    return records


def _examples(block) -> List[str]:
    if isinstance(block, list):
        lines = [str(x) for x in block]
    else:
        lines = [ln.strip()[2:] for ln in str(block or "").splitlines() if ln.strip().startswith("- ")]
    return [_ANNOTATION.sub(r"\1", ln).strip() for ln in lines if ln.strip()]


def _answer(responses: dict, intent: str) -> Tuple[Dict[str, str], list]:
    """The first text per channel as the answer, and every other variation as Rasa wrote it."""
    answer: Dict[str, str] = {}
    extra = []
    for variant in responses.get(f"utter_{intent}") or []:
        channel = variant.get("channel") or "default" if isinstance(variant, dict) else None
        if channel and variant.get("text") and channel not in answer and set(variant) <= {"text", "channel"}:
            answer[channel] = str(variant["text"])
        else:
            extra.append(variant)
    return answer, extra


def dump(kb: KnowledgeBase) -> str:
    """Rasa NLU YAML with intents, their metadata, and the responses of retrieval intents."""
    parts = ['version: "3.1"', "nlu:"]
    responses = {}
    for entry in kb:
        intent = intent_name(entry)
        meta = {"id": entry.id}
        full = entry.to_dict()
        full["metadata"] = {k: v for k, v in full["metadata"].items() if k != EXTRA_RESPONSES}
        meta.update({k: full[k] for k in _META_FIELDS if full[k] not in (None, [], {}, "", False)
                     and not (k == "status" and full[k] == "published")})
        parts.append(f"- intent: {intent}")
        parts.append("  metadata:\n    " + META_KEY + ": " + json.dumps(meta, ensure_ascii=False))
        parts.append("  examples: |")
        parts += [f"    - {' '.join(q.split())}" for q in entry.questions]
        extra = entry.metadata.get(EXTRA_RESPONSES, [])
        if entry.answer or extra:
            responses[f"utter_{intent}"] = [
                {"text": text} if channel == "default" else {"text": text, "channel": channel}
                for channel, text in sorted(entry.answer.items(), key=lambda kv: kv[0] != "default")] + list(extra)
    text = "\n".join(parts) + "\n"
    if responses:
        text += yaml.safe_dump({"responses": responses}, allow_unicode=True, sort_keys=False, width=1000)
    return text


def intent_name(entry) -> str:
    """``faq/<id>`` for entries with answers (Rasa's retrieval intents), else the id."""
    return RETRIEVAL_PREFIX + entry.id if entry.answer else entry.id


def entry_id_of(intent: str) -> str:
    """The entry id of a Rasa intent: ``faq/refund`` → ``refund`` (exported back as ``faq/refund``); an id is
    part of the entry's URL, so another retrieval intent's ``/`` becomes ``.`` (``chitchat/greet`` → ``chitchat.greet``)."""
    return intent[len(RETRIEVAL_PREFIX):] if intent.startswith(RETRIEVAL_PREFIX) else intent.replace("/", ".")

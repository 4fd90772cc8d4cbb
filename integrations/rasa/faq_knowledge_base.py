"""A Rasa assistant's own FAQ data (NLU examples + responses) as a faqbot knowledge base.

The examples Rasa has loaded are written back as the Rasa NLU YAML document they came from and read
by faqbot's Rasa importer (knowledge_base/rasa_yaml.py), so an FAQ means the same thing whether faqbot
reads the file directly or gets it from inside Rasa: standard question first, similar questions,
``utter_<intent>`` answers with channel variants, and the intent's ``metadata.faqbot`` fields
(id, category, related, hand-off flag …) that ``faqbot kb export --format rasa`` writes.
"""
from __future__ import annotations

from typing import Dict, Iterable, List, Mapping, Optional, Tuple

import yaml

from knowledge_base.rasa_yaml import read_records
from knowledge_base.entry import KnowledgeBase
from knowledge_base.loader import build_kb

from integrations.rasa.faq_intents import FaqIntents

SOURCE = "Rasa NLU data"


def faq_document(examples: Iterable[Mapping], responses: Mapping[str, list], intents: FaqIntents) -> dict:
    """``{"nlu": [...], "responses": {...}}`` holding only the FAQ intents, in the order Rasa read them.

    ``examples``: Rasa training examples as data (``text``, ``intent``, ``intent_response_key``,
    ``metadata``: ``{"intent": {...}}``).
    """
    order: List[str] = []
    texts: Dict[str, List[str]] = {}
    metadata: Dict[str, Optional[dict]] = {}
    for example in examples:
        name = intents.full_name(example.get("intent"), example.get("intent_response_key"))
        text = str(example.get("text") or "").strip()
        if name is None or not text:
            continue
        if name not in texts:
            order.append(name)
            texts[name] = []
            metadata[name] = (example.get("metadata") or {}).get("intent")
        if text not in texts[name]:
            texts[name].append(text)
    nlu = [dict({"intent": name, "examples": texts[name]},
                **({"metadata": metadata[name]} if isinstance(metadata[name], dict) else {})) for name in order]
    wanted = {f"utter_{name}" for name in order}
    return {"nlu": nlu, "responses": {k: list(v) for k, v in responses.items() if k in wanted}}


def faq_knowledge_base(examples: Iterable[Mapping], responses: Mapping[str, list],
                       intents: FaqIntents) -> Tuple[KnowledgeBase, Dict[str, str]]:
    """The knowledge base, and each entry's Rasa intent (``faq/refund`` or ``faq_refund``) by entry id."""
    document = faq_document(examples, responses, intents)
    if not document["nlu"]:
        how = (f"retrieval intents {intents.pattern}<name> (examples of intent {intents.retrieval_intent!r})"
               if intents.retrieval else f"intents starting with {intents.pattern!r}")
        raise ValueError(f"FaqbotClassifier: the training data has no FAQ intents: it answers {how}; "
                         f"set `intents:` in its config.yml block to the assistant's own")
    root = yaml.compose(yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=10_000))
    problems: list = []
    records = read_records(root, SOURCE, problems)
    kb = build_kb(records, SOURCE, problems)  # raises KBValidationError naming every problem
    return kb, {record["id"]: item["intent"] for (record, _, _), item in zip(records, document["nlu"])}

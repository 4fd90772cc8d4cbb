"""One knowledge entry (标准问 + 相似问 + answer) and the knowledge base that holds them."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

STATUSES = ("published", "draft", "retired")  # retired: kept for history, never served


@dataclass(frozen=True)
class Entry:
    id: str
    question: str
    similar: Tuple[str, ...] = ()
    category: str = ""
    answer: Dict[str, str] = field(default_factory=dict)  # channel -> text; "default" first; "app@en": in English
    keywords: Tuple[str, ...] = ()
    related: Tuple[str, ...] = ()
    tags: Tuple[str, ...] = ()
    metadata: Dict[str, object] = field(default_factory=dict)
    valid_from: Optional[date] = None
    valid_to: Optional[date] = None
    status: str = "published"
    handoff: bool = False
    # An answer that looks things up (docs/actions.md): {"name": <config actions.calls key>, "answer": {channel: template}};
    # the entry's own ``answer`` is what a customer gets when the lookup fails.
    action: Dict[str, object] = field(default_factory=dict)

    @property
    def questions(self) -> Tuple[str, ...]:
        """The standard question first, then the similar questions: all are examples."""
        return (self.question,) + self.similar

    def answer_for(self, channel: str = "default", language: Optional[str] = None) -> str:
        """The channel's answer, in ``language`` when the entry has it (``default@en``) — the reply's
        language matters more than the channel's wording."""
        keys = (f"{channel}@{language}", f"default@{language}") if language else ()
        return next((self.answer[k] for k in (*keys, channel, "default") if self.answer.get(k)), "")

    def action_template(self, channel: str = "default", language: Optional[str] = None) -> str:
        """The channel's answer template of the entry's action, chosen as ``answer_for`` chooses answers."""
        templates = self.action.get("answer") or {}
        keys = (f"{channel}@{language}", f"default@{language}") if language else ()
        return next((templates[k] for k in (*keys, channel, "default") if templates.get(k)), "")

    def is_live(self, today: Optional[date] = None) -> bool:
        today = today or date.today()
        if self.status != "published":
            return False
        if self.valid_from and today < self.valid_from:
            return False
        return not (self.valid_to and today > self.valid_to)

    def to_dict(self) -> dict:
        data = asdict(self)
        for key in ("similar", "keywords", "related", "tags"):
            data[key] = list(data[key])
        for key in ("valid_from", "valid_to"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


@dataclass(frozen=True)
class KnowledgeBase:
    entries: Tuple[Entry, ...]
    source: str = ""
    resources: Dict[str, str] = field(default_factory=dict)  # the KB's own dictionary / synonym files

    def __post_init__(self):
        object.__setattr__(self, "_by_id", {e.id: e for e in self.entries})

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def get(self, entry_id: str) -> Optional[Entry]:
        return self._by_id.get(entry_id)

    def __getitem__(self, entry_id: str) -> Entry:
        return self._by_id[entry_id]

    def live(self, today: Optional[date] = None) -> "KnowledgeBase":
        """Only entries a customer may be answered with today (published, within validity)."""
        return replace(self, entries=tuple(e for e in self.entries if e.is_live(today)))

    def published(self) -> "KnowledgeBase":
        """Entries a bot is trained on (drafts are curated, not served); links to the others are dropped."""
        kept = {e.id for e in self.entries if e.status == "published"}
        return replace(self, entries=tuple(replace(e, related=tuple(r for r in e.related if r in kept))
                                           for e in self.entries if e.id in kept))

    def content_hash(self) -> str:
        """Hash of every entry and of the KB's own dictionary files (their contents, not their paths)."""
        blob = json.dumps([e.to_dict() for e in self.entries], sort_keys=True, ensure_ascii=False)
        digest = hashlib.sha256(blob.encode())
        for name in sorted(self.resources):
            path = Path(self.resources[name])
            digest.update(name.encode() + (path.read_bytes() if path.exists() else b"missing"))
        return digest.hexdigest()[:16]

    def examples(self) -> Tuple[List[str], List[int]]:
        """All example texts and, for each, the index of its entry (entries stay contiguous)."""
        texts: List[str] = []
        owners: List[int] = []
        for i, entry in enumerate(self.entries):
            for text in entry.questions:
                texts.append(text)
                owners.append(i)
        return texts, owners

"""Quality checks a trainer runs on a knowledge base before publishing it (``faqbot kb check``).

The loader refuses a KB that cannot load; these checks find what loads but serves customers badly:
one question under two entries, entries with too few examples, validity dates that have ended or
soon will, missing answers, and links to entries customers never see.
"""
from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Dict, Iterable, List, Optional, Tuple

import numpy as np

from knowledge_base.embedding_cache import EmbeddingCache
from knowledge_base.encoders import normalise
from knowledge_base.entry import Entry, KnowledgeBase

SEVERITIES = ("error", "warning", "info")
KINDS = ("near_duplicate", "empty_answer", "too_few_similar", "expired", "expiring_soon", "not_yet_valid",
         "broken_related")
NEIGHBOURS = 8  # first search depth; a question whose neighbours all pass is searched 4× deeper …
MAX_NEIGHBOURS = 512  # … up to this depth
EXACT_SEARCH_LIMIT = 10_000  # above this many questions an inverted file replaces exhaustive search
PROBED_CLUSTERS = 6  # inverted file: clusters searched per question (near-identical ones share a cluster)
SHOWN_IDS = 5  # entry ids a grouped message names before "… and N more"


@dataclass(frozen=True)
class Finding:
    kind: str
    severity: str  # error | warning | info
    entry_ids: Tuple[str, ...]
    message: str
    details: Dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "severity": self.severity, "entry_ids": list(self.entry_ids),
                "message": self.message, "details": dict(self.details)}


def check_quality(kb: KnowledgeBase, settings, retriever=None, today: Optional[date] = None) -> List[Finding]:
    """Every finding, errors first. ``settings`` is a ``CurationConfig``; ``retriever`` (a trained bot's)
    lends its normaliser and encoder to find near-duplicates — without one only exact duplicates are found."""
    today = today or date.today()
    findings = [
        *duplicates(kb, settings.near_duplicate_similarity, retriever),
        *_answers(kb),
        *_few_similar(kb, settings.min_similar_questions),
        *_validity(kb, today, settings.expiring_within_days),
        *_related(kb, today),
    ]
    return sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), KINDS.index(f.kind)))


def summarise(findings: Iterable[Finding]) -> dict:
    """Counts by severity and by kind (every key present, zero or not)."""
    findings = list(findings)
    return {"total": len(findings),
            "by_severity": {s: sum(f.severity == s for f in findings) for s in SEVERITIES},
            "by_kind": {k: sum(f.kind == k for f in findings) for k in KINDS}}


def render(findings: List[Finding]) -> str:
    """Findings grouped by severity and kind, as ``faqbot kb check`` prints them."""
    if not findings:
        return "quality: no findings"
    counts = summarise(findings)["by_severity"]
    lines = ["quality: " + ", ".join(f"{n} {s}{'s' if s != 'info' and n != 1 else ''}" for s, n in counts.items())]
    groups: Dict[Tuple[str, str], List[Finding]] = defaultdict(list)
    for finding in findings:  # already in severity, kind order
        groups[finding.severity, finding.kind].append(finding)
    for (severity, kind), group in groups.items():
        lines.append(f"\n{severity.upper()} {kind} ({len(group)})")
        lines += [f"  - {f.message}" for f in group]
    return "\n".join(lines)


def question_key(text: str, normalizer=None) -> str:
    """What two questions share when they are the same question: the text normalised (by ``normalizer``,
    else NFKC + case folding) without punctuation or spaces, so "退款多久到账？" equals "退款多久到账"."""
    text = normalizer.predict([text])[0] if normalizer is not None else unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch).startswith("P")))


# -- duplicates ---------------------------------------------------------------------------------
def duplicates(kb: KnowledgeBase, threshold: float, retriever=None) -> List[Finding]:
    """Questions of two different entries that are the same after normalisation (error) or, with a retriever,
    whose centred vectors (see ``_embed``) have cosine ≥ ``threshold`` (warning); each pair once, closest first."""
    texts, owners = kb.examples()
    entries = kb.entries
    keys = [question_key(t, retriever.normalizer if retriever is not None else None) for t in texts]
    findings = []
    for i, j in _same_key_pairs(keys, owners):
        findings.append(_duplicate(entries[owners[i]], texts[i], entries[owners[j]], texts[j], 1.0, exact=True))
    vectors = _embed(retriever, texts) if retriever is not None else None
    if vectors is not None and len(texts) > 1:
        for i, j, similarity in zip(*similar_pairs(vectors, np.asarray(owners), threshold)):
            if keys[i] != keys[j]:
                findings.append(_duplicate(entries[owners[i]], texts[i], entries[owners[j]], texts[j],
                                           float(similarity), exact=False))
    return findings


def similar_pairs(vectors: np.ndarray, owners: np.ndarray, threshold: float):
    """(i, j, cosine) arrays of rows i < j owned by different entries with cosine ≥ ``threshold``,
    closest first. A faiss inner-product k-NN search; rows whose k-th neighbour still passes are
    searched again with a larger k, so an entry with many similar questions cannot hide a pair."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n = len(vectors)
    index = _index(vectors)
    found_i, found_j, found_s = [], [], []
    rows, k = np.arange(n), min(n, NEIGHBOURS)
    while len(rows):
        scores, neighbours = index.search(vectors[rows], k)
        close = (scores >= threshold) & (neighbours >= 0)
        found_i.append(np.repeat(rows, k)[close.ravel()])
        found_j.append(neighbours[close])
        found_s.append(scores[close])
        if k >= min(n, MAX_NEIGHBOURS):
            break
        rows, k = rows[close[:, -1]], min(n, k * 4, MAX_NEIGHBOURS)
    i, j, s = (np.concatenate(a) for a in (found_i, found_j, found_s))
    cross = owners[i] != owners[j]
    i, j, s = np.minimum(i, j)[cross], np.maximum(i, j)[cross], s[cross]
    _, first = np.unique(i * n + j, return_index=True)  # a pair is found from both of its sides
    order = first[np.argsort(-s[first], kind="stable")]
    return i[order], j[order], np.minimum(s[order], 1.0)


def _index(vectors: np.ndarray):
    """Exhaustive search up to EXACT_SEARCH_LIMIT questions (10k: ~1 s on one core); beyond, an inverted
    file that compares each question only with its closest clusters (50k: ~5 s, planted pairs all found)."""
    import faiss

    dimension = vectors.shape[1]
    if len(vectors) <= EXACT_SEARCH_LIMIT:
        index = faiss.IndexFlatIP(dimension)
    else:
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dimension), dimension, 2 * int(np.sqrt(len(vectors))),
                                   faiss.METRIC_INNER_PRODUCT)
        index.cp.niter, index.cp.max_points_per_centroid = 8, 64  # rough clusters are enough
        index.train(vectors)
        index.nprobe = PROBED_CLUSTERS
    index.add(vectors)
    return index


def _embed(retriever, texts: List[str]) -> Optional[np.ndarray]:
    """The retriever's vectors of these questions, centred on its own questions and re-normalised.

    e5-style encoders place every question near every other: on the demo KB the median cosine of two
    questions of different entries is 0.85 and 1,568 such pairs reach 0.92. Without the direction all
    questions share, rewordings stay at 0.94–0.99 ("怎么取消订单" / "如何取消订单" 0.99) while the
    closest distinct questions fall to 0.88 or less ("怎么申请退货" / "怎么取消退货申请" 0.98 → 0.82).
    Vectors come through the embedding cache: questions the bot was trained on are not encoded again.
    """
    if getattr(retriever, "dense", None) is None or getattr(retriever, "encoder", None) is None:
        return None
    vectors = EmbeddingCache.default(retriever.encoder).encode(retriever.prepare(texts))
    # An adapter keeps the KB's entries apart, duplicates too: compare the encoder's own vectors, centred on their mean.
    adapted = getattr(retriever, "adapter", None) is not None
    centre = retriever.mean_vector() if len(retriever.owners_) > 1 and not adapted else vectors.mean(axis=0)
    return normalise(vectors - centre)


def _same_key_pairs(keys: List[str], owners: List[int]) -> List[Tuple[int, int]]:
    """(i, j): the first question of each of two entries sharing a key."""
    firsts: Dict[str, Dict[int, int]] = defaultdict(dict)
    for i, (key, owner) in enumerate(zip(keys, owners)):
        firsts[key].setdefault(owner, i)
    pairs = []
    for by_owner in firsts.values():
        rows = list(by_owner.values())
        pairs += [(a, b) for n, a in enumerate(rows) for b in rows[n + 1:]]
    return pairs


def _duplicate(a: Entry, text_a: str, b: Entry, text_b: str, similarity: float, exact: bool) -> Finding:
    pair = f'"{text_a}" ({a.id}) and "{text_b}" ({b.id})'
    if exact:
        message = f"{pair} are the same question after normalisation; the bot cannot tell the two entries apart."
    else:
        message = f"{pair} are near-identical (similarity {similarity:.2f}); customers asking this may get either."
    return Finding("near_duplicate", "error" if exact else "warning", (a.id, b.id), message,
                   {"texts": [text_a, text_b], "similarity": round(similarity, 4), "exact": exact})


# -- per entry ----------------------------------------------------------------------------------
def _answers(kb: KnowledgeBase) -> List[Finding]:
    """No default answer; a channel answered as blank; channels other entries answer for but these don't."""
    findings = []
    channels = sorted({c for e in kb for c, text in e.answer.items() if c != "default" and text.strip()})
    missing: Dict[str, List[str]] = defaultdict(list)
    for entry in kb:
        if not entry.answer.get("default", "").strip():
            severity = "error" if entry.status == "published" else "warning"
            findings.append(Finding("empty_answer", severity, (entry.id,),
                                    f"{_name(entry)} has no default answer; customers would get a placeholder.",
                                    {"channel": "default"}))
        for channel, text in entry.answer.items():
            if channel != "default" and not text.strip():
                findings.append(Finding("empty_answer", "warning", (entry.id,),
                                        f'{_name(entry)} has a blank "{channel}" answer; customers on {channel} '
                                        f"get the default answer — fill it in or remove the channel.",
                                        {"channel": channel}))
        for channel in channels:
            if channel not in entry.answer:
                missing[channel].append(entry.id)
    for channel, ids in missing.items():
        findings.append(Finding("empty_answer", "info", tuple(ids),
                                f'{len(ids)} entries have no "{channel}" answer, so customers on {channel} get their '
                                f"default answer: {_ids(ids)}.", {"channel": channel}))
    return findings


def _few_similar(kb: KnowledgeBase, minimum: int) -> List[Finding]:
    findings = []
    for entry in kb:
        count = len(set(entry.similar) - {entry.question})
        if entry.status == "published" and count < minimum:
            findings.append(Finding("too_few_similar", "warning", (entry.id,),
                                    f"{_name(entry)} has {count} similar question{'s' * (count != 1)}; add at least "
                                    f"{minimum} so the bot recognises how customers ask it.",
                                    {"similar": count, "minimum": minimum}))
    return findings


def _validity(kb: KnowledgeBase, today: date, within_days: int) -> List[Finding]:
    findings = []
    for entry in kb:
        if entry.status != "published":
            continue
        end, start = entry.valid_to, entry.valid_from
        if end and end < today:
            findings.append(Finding("expired", "warning", (entry.id,),
                                    f"{_name(entry)} expired on {end} but is still published; customers no longer "
                                    f"get it — extend valid_to or make it a draft.", {"valid_to": end.isoformat()}))
        elif end and end <= today + timedelta(days=within_days):
            days = (end - today).days
            findings.append(Finding("expiring_soon", "warning", (entry.id,),
                                    f"{_name(entry)} is answered until {end} ({_in_days(days)}); extend valid_to or "
                                    f"prepare its successor.", {"valid_to": end.isoformat(), "days": days}))
        if start and start > today:
            days = (start - today).days
            findings.append(Finding("not_yet_valid", "info", (entry.id,),
                                    f"{_name(entry)} is answered from {start} ({_in_days(days)}).",
                                    {"valid_from": start.isoformat(), "days": days}))
    return findings


def _related(kb: KnowledgeBase, today: date) -> List[Finding]:
    """Related links customers would never see. The loader already refuses unknown ids; a KB built
    in code can still have them, so they are reported too."""
    findings = []
    for entry in kb:
        if entry.status != "published":
            continue
        for rid in entry.related:
            target = kb.get(rid)
            if target is None:
                why = "which does not exist"
            elif target.status != "published":
                why = f"which is a {target.status}"
            elif target.valid_to and target.valid_to < today:
                why = f"which expired on {target.valid_to}"
            else:
                continue
            findings.append(Finding("broken_related", "warning", (entry.id, rid),
                                    f"{_name(entry)} links to related entry {rid}, {why}; customers will not see "
                                    f"the link.", {"related": rid}))
    return findings


def _name(entry: Entry) -> str:
    return f'Entry {entry.id} "{entry.question}"'


def _ids(ids: List[str]) -> str:
    more = len(ids) - SHOWN_IDS
    return ", ".join(ids[:SHOWN_IDS]) + (f" and {more} more" if more > 0 else "")


def _in_days(days: int) -> str:
    return "today" if days == 0 else f"in {days} day{'s' * (days != 1)}"

"""Unknown-question mining: what customers asked that the bot did not resolve, grouped for trainers.

Customer messages come from the conversation store (the bot fell back, its options were ignored,
its answer was rated unhelpful, or the conversation went to a person) or from a transcript file.
They are deduplicated, clustered with the bot's own sentence vectors (TF-IDF character n-grams when
it has none), ranked by volume, and each cluster gets one suggestion: add its questions as similar
questions of the entry the bot ranks best for them, or write a new entry. See docs/mining.md.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from types import SimpleNamespace
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
from sqlalchemy import and_, case, func, or_, select

from bot.picks import is_pick
from bot.privacy import mask_pii
from bot.store import ConversationStore, feedback
from bot.store import messages as message_table
from handoff.conditions import DEFAULT_REQUEST_EXCEPTIONS, DEFAULT_REQUEST_PATTERNS, Request
from knowledge_base.encoders import normalise
from training.suggestion_checks import PairingCheck, TextCheck
from training.suggestion_reasons import describe

REASONS = ("fallback", "clarify_ignored", "not_helpful", "handed_off", "offline")
ADD_SIMILAR, NEW_ENTRY = "add_similar", "new_entry"
# Unique texts clustered exactly (memory ~ FULL_LIMIT²); rarer ones join the nearest cluster or stay alone.
FULL_LIMIT = 4000
ANALYSE_BATCH = 256
SESSION_CHUNK = 500  # session ids per IN (…) query
CHECKED_PER_CLUSTER = 20  # most typical texts of a cluster judged by the bot as suggestions

_REQUEST = Request(tuple(map(re.compile, DEFAULT_REQUEST_PATTERNS)), tuple(map(re.compile, DEFAULT_REQUEST_EXCEPTIONS)))
# Words around a request for a person that do not make it a question ("你好，请帮我转人工").
_FILLER = re.compile(r"你好|您好|请|帮我|给我|帮忙|麻烦|我要|我想|需要|要|想|谢谢|在吗|在不在|一下|客服|呢|吧|啊|呀|哦|亲|"
                     r"(?i:\b(please|hi|hello|hey|i|want|need|would|like|to|a|an|the|can|could|you|me|let|with|"
                     r"talk|speak|chat|agent|person|someone|now)\b)")
_NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class UnknownMessage:
    """A customer message the bot did not resolve, and why it counts as such (one of ``REASONS``)."""
    message_id: int
    session_id: str
    text: str
    reason: str
    created: float


@dataclass(frozen=True)
class Suggestion:
    action: str  # add_similar | new_entry
    entry_id: Optional[str]  # the entry to extend (add_similar), else None
    entry_question: Optional[str]
    score: float  # the bot's confidence in the best entry, averaged over the representative questions
    questions: Tuple[str, ...]  # to add (never one the entry already has), or the new entry's questions
    closest_entry: Optional[str] = None  # the best entry even when too far to extend: how close it came
    evidence: Dict[str, object] = field(default_factory=dict)  # why: training/suggestion_reasons.py words it


@dataclass
class Cluster:
    key: str  # stable id: remembers a trainer's accept / reject between runs
    volume: int  # messages
    sessions: int  # distinct conversations
    reasons: Dict[str, int]
    questions: List[str]  # the most typical texts first
    examples: int  # unique texts
    suggestion: Suggestion
    texts: List[Tuple[str, int]] = field(default_factory=list)  # every unique text with its count, typical first

    def to_dict(self) -> dict:
        data = asdict(self)
        data["suggestion"]["questions"] = list(self.suggestion.questions)
        data["texts"] = [list(t) for t in self.texts]
        return data


# -- sources ------------------------------------------------------------------------------------
def unknown_messages(store: ConversationStore, since: Optional[float] = None,
                     limit: int = 20000) -> List[UnknownMessage]:
    """Unresolved customer messages behind the newest ``limit`` unresolving bot replies, oldest first.

    A reply answers the latest customer message before it in its session. A pure request for a
    person that was handed off stands for the question asked before it; option picks never count.
    """
    bot_reply, earlier, asked = message_table.alias("b"), message_table.alias("e"), message_table.alias("c")
    since = since or 0.0
    votes = select(feedback.c.message_id,
                   func.max(case((feedback.c.kind == "clarify_choice", 1), else_=0)).label("picked"),
                   func.max(case((and_(feedback.c.kind == "helpful", feedback.c.value == "no"), 1),
                                 else_=0)).label("unhelpful")) \
        .where(feedback.c.created >= since).group_by(feedback.c.message_id).subquery()
    unhelpful = func.coalesce(votes.c.unhelpful, 0) == 1
    ignored = and_(bot_reply.c.decision == "clarify", func.coalesce(votes.c.picked, 0) == 0)
    reason = case((unhelpful, "not_helpful"), (bot_reply.c.decision == "fallback", "fallback"),
                  (bot_reply.c.decision == "clarify", "clarify_ignored"), else_="handed_off")
    question = select(func.max(earlier.c.id)).where(
        earlier.c.session_id == bot_reply.c.session_id, earlier.c.sender == "customer",
        earlier.c.id < bot_reply.c.id).scalar_subquery()
    replies = select(bot_reply.c.id.label("reply_id"), question.label("asked_id"), reason.label("reason")) \
        .select_from(bot_reply.outerjoin(votes, votes.c.message_id == bot_reply.c.id)) \
        .where(bot_reply.c.sender == "bot", bot_reply.c.created >= since,
               or_(bot_reply.c.decision.in_(("fallback", "handoff")), ignored, unhelpful)) \
        .order_by(bot_reply.c.id.desc()).limit(limit).subquery()
    query = select(asked.c.id, asked.c.session_id, asked.c.text, asked.c.created, replies.c.reason) \
        .join(replies, asked.c.id == replies.c.asked_id).order_by(replies.c.reply_id)
    with store._lock, store.engine.connect() as conn:
        rows = [UnknownMessage(int(r.id), r.session_id, r.text, r.reason, float(r.created))
                for r in conn.execute(query)]
        earlier_questions = _earlier_questions(conn, {r.session_id for r in rows
                                                      if r.reason == "handed_off" and is_person_request(r.text)})
    found: Dict[int, UnknownMessage] = {}
    for row in rows:
        if is_person_request(row.text):  # handed off: the question it stands for; else nothing was asked
            row = _question_before(earlier_questions.get(row.session_id, []), row) \
                if row.reason == "handed_off" else None
        if row is not None and minable(row.text):
            found.setdefault(row.message_id, row)  # one reason per message: the first reply that left it open
    return sorted(found.values(), key=lambda m: m.message_id)


def _earlier_questions(conn, session_ids: Iterable[str]) -> Dict[str, List[tuple]]:
    """Every customer message of these sessions, in order: where a request for a person came from."""
    by_session: Dict[str, List[tuple]] = {}
    ids = sorted(session_ids)
    for start in range(0, len(ids), SESSION_CHUNK):
        m = message_table
        query = select(m.c.id, m.c.session_id, m.c.text, m.c.created) \
            .where(m.c.sender == "customer", m.c.session_id.in_(ids[start:start + SESSION_CHUNK])).order_by(m.c.id)
        for r in conn.execute(query):
            by_session.setdefault(r.session_id, []).append((int(r.id), r.text, float(r.created)))
    return by_session


def _question_before(said: List[tuple], request: UnknownMessage) -> Optional[UnknownMessage]:
    for message_id, text, created in reversed(said):
        if message_id < request.message_id and minable(text) and not is_person_request(text):
            return UnknownMessage(message_id, request.session_id, text, request.reason, created)
    return None


def offline_messages(conversations: Sequence, reason: str = "offline") -> List[UnknownMessage]:
    """Every customer turn of transcripts (``handoff.transcript.load_transcripts``) as unresolved."""
    out, n = [], 0
    for conversation in conversations:
        for turn in conversation.turns:
            n += 1
            out.append(UnknownMessage(n, conversation.id, turn.text, reason, float(n)))
    return out


def unanswered(messages: Sequence[UnknownMessage], bot) -> List[UnknownMessage]:
    """Only the messages ``bot`` would not answer (it falls back or asks which entry was meant)."""
    texts = sorted({m.text for m in messages})
    answered = set()
    for start in range(0, len(texts), ANALYSE_BATCH):
        batch = texts[start:start + ANALYSE_BATCH]
        prepared = bot.retriever.prepare(batch)
        kept = [t for t, p in zip(batch, prepared) if p]
        for text, analysis in zip(kept, bot.analyse(kept) if kept else []):
            if bot.decide(analysis).kind in ("answer", "handoff"):
                answered.add(text)
    return [m for m in messages if m.text not in answered]


# -- filters --------------------------------------------------------------------------------------
def is_person_request(text: str) -> bool:
    """Only a request for a person (转人工, 人工客服, "human agent") — nothing else asked with it."""
    asked, _ = _REQUEST.check(SimpleNamespace(text=text))
    if not asked:
        return False
    spans = sorted(m.span() for p in _REQUEST.patterns for m in p.finditer(text))
    rest, end = [], 0
    for start, stop in spans:
        rest.append(text[end:max(start, end)])
        end = max(end, stop)
    rest.append(text[end:])
    return len(_NOT_WORD.sub("", _FILLER.sub(" ", " ".join(rest)))) <= 1


def minable(text: str) -> bool:
    return bool(_NOT_WORD.sub("", text or "")) and not is_pick(text or "")


# -- clustering -----------------------------------------------------------------------------------
@dataclass
class _Text:
    """One unique (normalised) text and the messages that said it."""
    shown: str
    prepared: str
    count: int = 0
    sessions: set = field(default_factory=set)
    reasons: Counter = field(default_factory=Counter)
    spellings: Counter = field(default_factory=Counter)


def mine(messages: Sequence[UnknownMessage], bot, settings, check: Optional[PairingCheck] = None) -> List[Cluster]:
    """Clusters of unresolved questions, most asked first, each with a suggestion.

    ``bot``: a loaded ``bot.engine.Bot``; ``settings``: ``bot.config.MiningConfig``; ``check``: the
    bot's ``PairingCheck`` when the caller has one already.
    """
    newest = sorted(messages, key=lambda m: (m.created, m.message_id))[-settings.max_messages:]
    texts = _unique_texts([m for m in newest if minable(m.text) and not is_person_request(m.text)], bot)
    if not texts:
        return []
    vectors = _vectors([t.prepared for t in texts], bot)
    labels = _cluster(vectors, np.array([t.count for t in texts]), settings.cluster_similarity)
    order = np.argsort(labels, kind="stable")
    groups = np.split(order, np.flatnonzero(np.diff(labels[order])) + 1)
    groups = [g for g in groups if sum(texts[i].count for i in g) >= settings.min_cluster_size]
    ordered = [_typical_first(g, vectors, texts) for g in groups]
    representatives = [[texts[i].shown for i in g[:settings.representatives]] for g in ordered]
    check = check or PairingCheck(bot, settings.min_question_similarity)
    suggestions = _suggest([[texts[i] for i in g] for g in ordered], check, settings)
    clusters = [_cluster_of([texts[i] for i in g], reps, s)
                for g, reps, s in zip(ordered, representatives, suggestions) if s is not None]
    return sorted(clusters, key=lambda c: (-c.volume, -c.sessions, c.key))


def _unique_texts(found: Sequence[UnknownMessage], bot) -> List[_Text]:
    """Deduplicated by normalised text without punctuation or spaces; most asked first."""
    by_key: Dict[str, _Text] = {}
    for message, prepared in zip(found, bot.retriever.prepare([m.text for m in found])):
        key = _NOT_WORD.sub("", prepared)
        if not key:
            continue
        item = by_key.setdefault(key, _Text("", prepared))
        item.count += 1
        item.sessions.add(message.session_id)
        item.reasons[message.reason] += 1
        item.spellings[mask_pii(message.text.strip())] += 1  # suggestions and the page never show raw numbers
    for item in by_key.values():
        item.shown = min(item.spellings.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    return sorted(by_key.values(), key=lambda t: (-t.count, _NOT_WORD.sub("", t.prepared)))


def _vectors(prepared: List[str], bot) -> np.ndarray:
    """Unit vectors whose dot product is the similarity clustering uses.

    Sentence vectors have the knowledge base's mean vector removed first: e5 gives any two Chinese
    questions a cosine of ~0.85, so only what differs between questions is compared (docs/mining.md).
    """
    embedded = bot.retriever.embed(prepared) if prepared else None
    if embedded is not None:
        reference = bot.retriever.mean_vector()
        return normalise(np.asarray(embedded, np.float32) - reference)
    from sklearn.feature_extraction.text import TfidfVectorizer

    tfidf = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)
    return tfidf.fit_transform(prepared).astype(np.float32)  # sparse: texts × n-grams would not fit dense


def _cluster(vectors, counts: np.ndarray, similarity: float) -> np.ndarray:
    """Average-linkage clusters of the FULL_LIMIT most asked texts; every rarer text joins the cluster
    it is on average most similar to, if that reaches ``similarity`` (the rule average linkage merges
    by), else stays alone. Labels are numbered by first appearance, so equal input gives equal output."""
    n = vectors.shape[0]
    head = min(n, FULL_LIMIT)
    labels = np.zeros(n, dtype=np.int64)
    if head > 1:
        from sklearn.cluster import AgglomerativeClustering

        distances = np.clip(1.0 - _dense(vectors[:head] @ vectors[:head].T), 0.0, 2.0)
        np.fill_diagonal(distances, 0.0)
        labels[:head] = AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average",
                                                distance_threshold=1.0 - similarity).fit_predict(distances)
    if head < n:
        from scipy import sparse

        n_head = labels[:head].max() + 1
        sizes = np.bincount(labels[:head], minlength=n_head)
        members = sparse.csr_matrix((1.0 / sizes[labels[:head]], (labels[:head], np.arange(head))),
                                    shape=(n_head, head), dtype=np.float32)
        means = members @ vectors[:head]  # each cluster's mean vector
        next_label = n_head
        for start in range(head, n, FULL_LIMIT):
            scores = _dense(vectors[start:start + FULL_LIMIT] @ means.T)
            best = scores.argmax(axis=1)
            for offset, (k, score) in enumerate(zip(best, scores[np.arange(len(best)), best])):
                if score >= similarity:
                    labels[start + offset] = k
                else:
                    labels[start + offset] = next_label
                    next_label += 1
    _, first = np.unique(labels, return_index=True)
    renumber = {labels[i]: n for n, i in enumerate(sorted(first))}
    return np.array([renumber[k] for k in labels], dtype=np.int64)


def _dense(matrix) -> np.ndarray:
    return matrix.toarray() if hasattr(matrix, "toarray") else np.asarray(matrix)


def _typical_first(group: np.ndarray, vectors, texts: List[_Text]) -> List[int]:
    """Closest to the cluster's centre (weighted by how often each text was said) first."""
    centre = _dense(np.array([[texts[i].count for i in group]], np.float32) @ vectors[group]).ravel()
    closeness = _dense(vectors[group] @ centre).ravel()
    return [int(group[j]) for j in sorted(range(len(group)), key=lambda j: (-round(float(closeness[j]), 5),
                                                                             -texts[group[j]].count,
                                                                             texts[group[j]].shown))]


def _suggest(members: List[List[_Text]], check: PairingCheck, settings) -> List[Optional[Suggestion]]:
    """One suggestion per cluster, or None when it has nothing worth adding (docs/mining.md, "The
    suggestion rule"). Texts the KB already has and deliberately vague ones are never suggested; the
    entry to extend is the one the bot is sure of (calibrated confidence averaged over the
    representatives reaches ``attach_score``) or, failing that, the one whose questions most
    representatives are close to; only texts close to that entry's own questions go to it."""
    looked_at = [texts[:CHECKED_PER_CLUSTER] for texts in members]
    flat = check.check([t.shown for texts in looked_at for t in texts])
    out, at = [], 0
    for texts in looked_at:
        out.append(_suggestion(flat[at:at + len(texts)], check, settings))
        at += len(texts)
    return out


def _suggestion(checks: List[TextCheck], check: PairingCheck, settings) -> Optional[Suggestion]:
    left = [c for c in checks if c.known_in is None and not c.vague]
    evidence = {"known": sum(c.known_in is not None for c in checks),
                "vague": [c.text for c in checks if c.vague and c.known_in is None][:3]}
    if not left:
        return None
    reps = left[:settings.representatives]
    totals: Dict[str, float] = {}
    for c in reps:
        if c.first is not None:
            totals[c.first] = totals.get(c.first, 0.0) + c.confidence
    best = min(totals, key=lambda i: (-totals[i], i)) if totals else None
    score = round(totals[best] / len(reps), 4) if best is not None else 0.0
    target = best if score >= settings.attach_score else _covering(reps, check)
    if target is not None:
        chosen = [c for c in left if check.refusal(c, target) is None][:settings.representatives]
        similarity = [check.similarity(c, target) for c in (chosen or reps)]
        evidence["similarity"] = _mean(similarity)
        if chosen:
            evidence["confident"] = target == best and score >= settings.attach_score
            return Suggestion(ADD_SIMILAR, target, check.bot.kb[target].question, score,
                              tuple(c.text for c in chosen), target, evidence)
        evidence["far"] = True  # the bot leans to the entry, the meaning does not: a new topic
    closest = target or best or reps[0].nearest(check.entry_ids)[0]
    if closest is not None and "similarity" not in evidence:
        evidence["similarity"] = _mean([check.similarity(c, closest) for c in reps])
    return Suggestion(NEW_ENTRY, None, None, score, tuple(c.text for c in reps), closest, evidence)


def _covering(reps: List[TextCheck], check: PairingCheck) -> Optional[str]:
    """The entry whose questions at least half the representatives are close to, if any: the bot is
    unsure (its confidence is split, or its wording differs), but the topic is already in the KB."""
    near = Counter()
    for c in reps:
        entry_id, similarity = c.nearest(check.entry_ids)
        if entry_id is not None and similarity >= check.min_similarity:
            near[entry_id] += 1
    if not near:
        return None
    entry_id, count = min(near.items(), key=lambda kv: (-kv[1], kv[0]))
    return entry_id if 2 * count >= len(reps) else None


def _mean(values) -> Optional[float]:
    values = [v for v in values if v is not None]
    return round(sum(values) / len(values), 4) if values else None


def _cluster_of(texts: List[_Text], representatives: List[str], suggestion: Suggestion) -> Cluster:
    reasons = Counter()
    for t in texts:
        reasons.update(t.reasons)
    sessions = set().union(*(t.sessions for t in texts))
    key_texts = sorted(_NOT_WORD.sub("", t.prepared) for t in texts[:len(representatives)])
    key = hashlib.sha1("\n".join(key_texts).encode("utf-8")).hexdigest()[:16]
    return Cluster(key, sum(t.count for t in texts), len(sessions), dict(sorted(reasons.items())), representatives,
                   len(texts), suggestion, [(t.shown, t.count) for t in texts])


# -- output ---------------------------------------------------------------------------------------
def format_table(clusters: Sequence[Cluster], width: int = 60, language: str = "zh") -> str:
    """Plain text for a terminal: one block per cluster, most asked first, each with its reasons in words."""
    lines = []
    for n, c in enumerate(clusters, 1):
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(c.reasons.items(), key=lambda kv: -kv[1]))
        lines.append(f"#{n}  volume {c.volume} · {c.sessions} session(s) · {c.examples} unique · {reasons}  "
                     f"[{c.key}]")
        s = c.suggestion
        if s.action == ADD_SIMILAR:
            what = f"add as similar questions of {s.entry_id} 「{s.entry_question}」 (score {s.score:.2f})"
            if not s.questions:
                what += " — all already there: review its answer"
        else:
            what = f"new entry (closest: {s.closest_entry or '-'} at {s.score:.2f})"
        lines.append(f"    → {what}")
        lines.append(f"    {describe(_as_suggestion(c), language)}")
        lines += [f"    - {_clip(q, width)}" for q in c.questions]
    return "\n".join(lines) if lines else "no unresolved questions to mine"


def _as_suggestion(c: Cluster) -> dict:
    """The shape training.suggestion_reasons words."""
    s = c.suggestion
    return {"kind": "mined", "action": s.action, "volume": c.volume, "score": s.score,
            "entry_question": s.entry_question, "detail": {"sessions": c.sessions, "reasons": c.reasons},
            "evidence": dict(s.evidence, closest_question=s.closest_entry or "")}


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"

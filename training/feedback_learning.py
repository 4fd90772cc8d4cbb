"""Questions customers tie to an entry with their clicks and votes, suggested as its similar questions.

The active learning of hosted FAQ services: a customer types Q and either picks entry X from the
options offered (``clarify_choice`` feedback on the bot's clarify message) or is answered with X and
votes it helpful (``helpful`` = ``yes`` on the answer). Once customers in ``min_sessions`` different
conversations tie the same Q to the same X, Q is worth adding to X's similar questions. Repeated
clicks in one conversation count once: one customer should not teach the bot alone.
"""
from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import List, Optional, Tuple, Union

from sqlalchemy import and_, case, func, or_, select

from bot.follow_up import is_follow_up
from bot.picks import is_pick
from bot.privacy import mask_pii
from bot.store import ConversationStore, feedback, messages
from knowledge_base.entry import KnowledgeBase
from knowledge_base.quality import question_key
from knowledge_base.text import Normalizer


@dataclass(frozen=True)
class LearnedQuestion:
    text: str  # as customers typed it most often
    entry_id: str
    sessions: int  # distinct conversations tying text to entry
    clicks: int
    helpful_votes: int
    key: str  # sha1 of the normalised text and the entry id: the same suggestion on every run

    def to_dict(self) -> dict:
        return asdict(self)


def learned_questions(store: ConversationStore, kb: KnowledgeBase, min_sessions: int,
                      since: Union[float, datetime, None] = None) -> List[LearnedQuestion]:
    """Texts tied to one entry in at least ``min_sessions`` conversations (feedback from ``since``,
    epoch seconds or a datetime), most conversations first. Texts already a question of any entry
    are left out: under their own entry they add nothing, under another the loader would refuse them."""
    if isinstance(since, datetime):
        since = since.timestamp()
    normalizer = Normalizer().fit()
    known = {question_key(q, normalizer) for entry in kb for q in entry.questions}
    sessions, clicks, votes = defaultdict(set), Counter(), Counter()
    spellings = defaultdict(Counter)
    for session_id, text, entry_id, kind, count in _ties(store, since):
        text = text.strip()
        key = question_key(text, normalizer)
        if kb.get(entry_id) is None or not key or key in known or not _is_question(text):
            continue
        pair = (key, entry_id)
        sessions[pair].add(session_id)
        (clicks if kind == "clarify_choice" else votes)[pair] += count
        spellings[pair][mask_pii(text)] += count  # suggestions and the page never show raw numbers
    learned = [LearnedQuestion(spellings[pair].most_common(1)[0][0], pair[1], len(ids), clicks[pair], votes[pair],
                               _key(*pair))
               for pair, ids in sessions.items() if len(ids) >= min_sessions]
    return sorted(learned, key=lambda q: (-q.sessions, -(q.clicks + q.helpful_votes), q.entry_id, q.text))


def _ties(store: ConversationStore, since: Optional[float]) -> List[Tuple[str, str, str, str, int]]:
    """(session, customer text, entry, feedback kind, count): every click or helpful vote with the
    customer message just before the bot message it is on, counted per session in the database."""
    bot_message, asked, earlier = messages.alias("bot_message"), messages.alias("asked"), messages.alias("earlier")
    previous = (select(func.max(earlier.c.id))
                .where(earlier.c.session_id == bot_message.c.session_id, earlier.c.sender == "customer",
                       earlier.c.id < bot_message.c.id)
                .correlate(bot_message).scalar_subquery())
    clicked = feedback.c.kind == "clarify_choice"
    entry = case((clicked, feedback.c.value), else_=bot_message.c.entry_id)
    query = (select(bot_message.c.session_id, asked.c.text, entry, feedback.c.kind, func.count())
             .select_from(feedback.join(bot_message, bot_message.c.id == feedback.c.message_id)
                          .join(asked, asked.c.id == previous))
             .where(bot_message.c.sender == "bot",
                    or_(clicked, and_(feedback.c.kind == "helpful", feedback.c.value == "yes",
                                      bot_message.c.entry_id.is_not(None))))
             .group_by(bot_message.c.session_id, asked.c.text, entry, feedback.c.kind))
    if since is not None:
        query = query.where(feedback.c.created >= since)
    with store.reading() as conn:
        return [tuple(row) for row in conn.execute(query)]


def _is_question(text: str) -> bool:
    """Not an option pick ("2", "/select:<id>": the vote after a pick confirms the pick, already
    counted) and not a follow-up ("那运费呢"), which means something only after the previous answer."""
    return not (is_pick(text) or is_follow_up(text))


def _key(normalised: str, entry_id: str) -> str:
    return hashlib.sha1(f"{normalised}\x1f{entry_id}".encode()).hexdigest()

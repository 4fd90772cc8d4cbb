"""A switched-to version lets go of the old one (issue 24, finding 14: memory grew ~280 MB per publish).
The numbers: `python -m evals.publish_memory` (docs/security.md)."""
import gc
import weakref

from bot.service.conversations import Conversations
from bot.service.live import release_memory
from bot.store import ConversationStore


class Version:
    """Stands for a loaded bot: something only the service should keep alive."""


def test_idle_conversations_do_not_keep_the_replaced_version_alive(demo_bot):
    service = Conversations(demo_bot, ConversationStore())
    for n in range(3):
        service.handle(f"idle-{n}", "运费怎么算")  # conversations that then go quiet
    old, new = Version(), Version()
    for session in service.sessions.values():  # as if they had last talked to version ``old``
        session.bot = old
    gone = weakref.ref(old)
    service.switch(new, None)
    del old
    release_memory()
    assert gone() is None, [type(r).__name__ for r in gc.get_referrers(gone())]
    assert all(session.bot is new for session in service.sessions.values())

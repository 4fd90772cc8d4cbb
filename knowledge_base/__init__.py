"""Knowledge entries, loaders, and the retrieval indexes built from them."""
from .entry import Entry, KnowledgeBase
from .loader import KBValidationError, load_kb

__all__ = ["Entry", "KnowledgeBase", "KBValidationError", "load_kb"]

"""Knowledge entries, loaders, and the retrieval indexes built from them."""
from knowledge_base.entry import Entry, KnowledgeBase
from knowledge_base.loader import KBValidationError, load_kb

__all__ = ["Entry", "KnowledgeBase", "KBValidationError", "load_kb"]

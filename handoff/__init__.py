"""Hand-off to humans. This issue only needs the hook; transfer rules come later."""
from .hook import HandoffHook

__all__ = ["HandoffHook"]

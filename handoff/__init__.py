"""Hand-off to humans: transfer rules, emotion, the agent desk, surveys and outcome reports."""
from .hook import HandoffHook

__all__ = ["HandoffHook"]

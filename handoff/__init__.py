"""Hand-off to humans: transfer rules, emotion, the agent desk, surveys and outcome reports."""
from handoff.hook import HandoffHook

__all__ = ["HandoffHook"]

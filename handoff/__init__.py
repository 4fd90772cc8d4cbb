"""Hand-off to humans: transfer rules, emotion, the agent desk, surveys and outcome reports."""

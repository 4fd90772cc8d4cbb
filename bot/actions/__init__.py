"""Answers that look things up: KB entries whose answer comes from the business's own systems (docs/actions.md)."""

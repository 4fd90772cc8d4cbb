"""Where conversations, the agent desk and the trainers' workbench are kept (SQLite or PostgreSQL)."""
from bot.store.conversation_store import ConversationStore, ConversationTaken, insert_if_new, serialised
from bot.store.schema import (schema_version, sessions, messages, feedback, agents, agent_tokens, handoffs, tickets, surveys, webhook_outbox, kb_entries, kb_resources, kb_versions, kb_state, kb_test_cases, kb_suggestions, audit_log, sign_in_attempts, signed_calls, desk_notes, canned_replies, wrapups, agent_status_log, qa_reviews, callbacks,
                             metadata)

__all__ = ["ConversationStore", "ConversationTaken", "insert_if_new", "serialised", "metadata", "schema_version", "sessions", "messages", "feedback", "agents", "agent_tokens", "handoffs", "tickets", "surveys", "webhook_outbox", "kb_entries", "kb_resources", "kb_versions", "kb_state", "kb_test_cases", "kb_suggestions", "audit_log", "sign_in_attempts", "signed_calls", "desk_notes", "canned_replies", "wrapups", "agent_status_log", "qa_reviews", "callbacks"]

"""faqbot inside other conversational frameworks (each integration is an optional extra)."""

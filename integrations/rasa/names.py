"""The names a Rasa assistant's domain, rules and actions share with faqbot's integration.

Kept free of imports so the component (Rasa's process) and the actions (the action server's) agree
without either importing the other.
"""
from __future__ import annotations

# Where the component puts faqbot's whole decision in the parse data (tracker.latest_message["faqbot"]).
PARSE_KEY = "faqbot"
# Intents the component sets for the decisions that are not an answer (both renamable in config.yml).
CLARIFY_INTENT = "faqbot_clarify"
HANDOFF_INTENT = "faqbot_handoff"
FALLBACK_INTENT = "nlu_fallback"  # Rasa's own: the assistant's fallback rules keep working
# Action direction: an option button sends this intent with the entry as an entity, so Rasa's rules
# route the click back to ActionAskFaqbot, which tells the faqbot server it was a pick.
SELECT_INTENT = "faqbot_select"
SELECT_ENTITY = "faqbot_entry"
SERVER_SELECT_PREFIX = "/select:"  # the faqbot server's pick payload (bot.picks.SELECT_PREFIX)


"""The integration's custom actions, for ``rasa run actions --actions integrations.rasa.actions``
(or import them into the assistant's own actions package)."""
from integrations.rasa.ask_faqbot_action import ActionAskFaqbot
from integrations.rasa.faqbot_handoff_action import ActionFaqbotHandoff
from integrations.rasa.faqbot_options_action import ActionFaqbotOptions

__all__ = ["ActionAskFaqbot", "ActionFaqbotOptions", "ActionFaqbotHandoff"]

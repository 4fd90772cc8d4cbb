"""faqbot and Rasa Open Source 3.6 (``pip install 'faqbot[rasa]'``, Python 3.10), both directions:

- ``FaqbotClassifier`` — a graph component for a Rasa ``config.yml`` pipeline that answers the FAQ
  intents with faqbot's ranking and decision (docs/rasa.md);
- ``ActionAskFaqbot`` — a rasa-sdk custom action that hands a message to a running faqbot server;
  ``ActionFaqbotOptions`` / ``ActionFaqbotHandoff`` act on the component's clarify and hand-off
  decisions. ``rasa run actions --actions integrations.rasa.actions`` serves all three.

Names resolve on first use, so the action server never imports Rasa itself and Rasa never imports
the action SDK's server.
"""
from __future__ import annotations

__all__ = ["FaqbotClassifier", "ActionAskFaqbot", "ActionFaqbotOptions", "ActionFaqbotHandoff"]

_HOMES = {
    "FaqbotClassifier": "faqbot_classifier",
    "ActionAskFaqbot": "ask_faqbot_action",
    "ActionFaqbotOptions": "faqbot_options_action",
    "ActionFaqbotHandoff": "faqbot_handoff_action",
}


def __getattr__(name):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}; it exports {__all__}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)

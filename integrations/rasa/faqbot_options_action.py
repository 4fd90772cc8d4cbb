"""Shows the clarify options FaqbotClassifier put into the message as buttons.

Rasa's responses cannot hold buttons that change per message, so the rule for the clarify intent
runs this action: faqbot's "您是想问：1… 2…" text, one button per option. A button sends the option's
standard question, which the component recognises as a pick (an exact question, answered with
certainty); typing its number works too.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from integrations.rasa.names import PARSE_KEY


class ActionFaqbotOptions(Action):
    def name(self) -> Text:
        return "action_faqbot_options"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        data = (tracker.latest_message or {}).get(PARSE_KEY) or {}
        options = data.get("options") or []
        if not options:  # the rule fired on a message the component did not decide
            return []
        dispatcher.utter_message(text=data.get("text"),
                                 buttons=[{"title": o["question"], "payload": o["payload"]} for o in options])
        return []

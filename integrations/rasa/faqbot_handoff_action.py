"""Acts on FaqbotClassifier's hand-off: tells the customer, and gives the channel the routing.

faqbot decided that a person should take over (转人工, a complaint, an entry flagged hand-off, two
unanswered turns …) and to which skill group. This action says faqbot's text and sends the routing
(rule, reason, group, priority) as a custom payload; a team with a help desk replaces it with its
own hand-off action (the rule in docs/rasa.md names whichever action it should run).
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from integrations.rasa.names import PARSE_KEY


class ActionFaqbotHandoff(Action):
    def name(self) -> Text:
        return "action_faqbot_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        data = (tracker.latest_message or {}).get(PARSE_KEY) or {}
        dispatcher.utter_message(text=data.get("text") or "正在为您转接人工客服，请稍候。",
                                 json_message={"handoff": data.get("handoff") or {"rule": "flagged_entry",
                                                                                  "entry_id": data.get("entry_id")}})
        return []

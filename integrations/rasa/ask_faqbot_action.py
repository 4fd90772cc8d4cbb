"""Rasa in front of faqbot: a custom action that hands the customer's message to a running faqbot
server and says its reply, with clarify options and related questions as buttons.

It talks to the server's Rasa-compatible REST channel (``POST /webhooks/rest/webhook``) with the
Rasa conversation's sender id, so faqbot keeps the conversation's memory (options shown, transfer
rules, hand-off to its agent workspace) exactly as for its own widget. A button sends
``/faqbot_select{"faqbot_entry": "<id>"}``: Rasa's rules route that intent back here and faqbot hears
it as a pick, not as a new question. Settings: ``ServerSettings`` (environment variables).
"""
from __future__ import annotations

import asyncio
import json
import logging
import urllib.request
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from integrations.rasa.payloads import rasa_button, text_for_faqbot
from integrations.rasa.server_settings import ServerSettings

logger = logging.getLogger(__name__)


class ActionAskFaqbot(Action):
    def name(self) -> Text:
        return "action_ask_faqbot"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        settings = ServerSettings.from_env()
        body = {"sender": tracker.sender_id, "message": text_for_faqbot(tracker.latest_message or {})}
        try:
            replies = await asyncio.to_thread(_post_json, f"{settings.url}/webhooks/rest/webhook", body, settings.timeout)
        except (OSError, ValueError) as exc:  # unreachable, timed out, an error status, not JSON
            logger.error("faqbot server at %s did not answer: %s", settings.url, exc)
            dispatcher.utter_message(text=settings.unavailable_text)
            return []
        handed_off = False
        for reply in replies:  # none while a person in faqbot's workspace owns the conversation
            custom = reply.get("custom") or {}
            handed_off = handed_off or custom.get("decision") == "handoff"
            dispatcher.utter_message(text=reply.get("text"), buttons=[rasa_button(b) for b in reply.get("buttons") or []],
                                     json_message={"faqbot": custom} if custom else None)
        return [FollowupAction(settings.handoff_action)] if handed_off and settings.handoff_action else []


def _post_json(url: str, body: dict, timeout: float):
    request = urllib.request.Request(url, data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as response:  # raises HTTPError (an OSError) on 4xx/5xx
        return json.loads(response.read().decode("utf-8"))

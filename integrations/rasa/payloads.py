"""Button payloads between a Rasa channel, Rasa's rules and the faqbot server (action direction).

faqbot's own channels pick an option with ``/select:<id>``. In a Rasa channel a message starting
with ``/`` is an intent payload, so a button sends ``/faqbot_select{"faqbot_entry": "<id>"}``
instead; Rasa's rule routes that intent to ActionAskFaqbot, which turns it back into faqbot's pick.
No Rasa import: tested in faqbot's own suite.
"""
from __future__ import annotations

import json
from typing import Any, Dict, Mapping

from integrations.rasa.names import SELECT_ENTITY, SELECT_INTENT, SERVER_SELECT_PREFIX


def select_button_payload(entry_id: str) -> str:
    """A Rasa intent payload (``/intent{"entity": "value"}``) picking ``entry_id``."""
    return f"/{SELECT_INTENT}" + json.dumps({SELECT_ENTITY: entry_id}, ensure_ascii=False)


def rasa_button(button: Mapping[str, str]) -> Dict[str, str]:
    """A button of the faqbot server's REST reply, its pick payload rewritten for Rasa."""
    payload = button.get("payload", "")
    if payload.startswith(SERVER_SELECT_PREFIX):
        payload = select_button_payload(payload[len(SERVER_SELECT_PREFIX):])
    return {"title": button.get("title", ""), "payload": payload}


def text_for_faqbot(latest_message: Mapping[str, Any]) -> str:
    """What the faqbot server should hear: a button's pick as its own pick payload, else the text."""
    picked = next((e.get("value") for e in latest_message.get("entities") or [] if e.get("entity") == SELECT_ENTITY), None)
    return SERVER_SELECT_PREFIX + str(picked) if picked else str(latest_message.get("text") or "")

"""The web widget's settings (``server.widget`` in config.yml): the 转人工 button and the first-screen menu.

The menu (首屏菜单: 订单 / 物流 / 售后 / 发票 / 人工) shows buttons before the customer types anything;
each routes to a standard question (``entry``) or straight to a skill group's agents (``group``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List

from bot.picks import person_payload, select_payload
from knowledge_base.errors import InvalidInput

PERSON_BUTTON = ("always", "after_miss", "never")
FILE_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf")  # what bot/service/attachments.py checks  # after_miss: from the first reply the bot could not answer


@dataclass(frozen=True)
class WidgetConfig:
    person_button: str = "after_miss"
    menu: tuple = ()  # items like {label: 订单, entry: order_status} or {label: 人工, group: general}
    # Pictures and files a customer may send (content sniffed, images re-encoded); none: no upload button.
    file_types: tuple = ("image/jpeg", "image/png", "image/webp", "application/pdf")
    max_file_bytes: int = 5_000_000

    def __post_init__(self):
        if self.person_button not in PERSON_BUTTON:
            raise InvalidInput(f"server.widget.person_button: {self.person_button!r} is not one of {PERSON_BUTTON}")
        unknown = set(self.file_types) - set(FILE_TYPES)
        if unknown:
            raise InvalidInput(f"server.widget.file_types: {sorted(unknown)} — faqbot takes {FILE_TYPES}")
        for item in self.menu:
            if not isinstance(item, dict) or not isinstance(item.get("label"), str) or \
                    sorted(k for k in item if k != "label") not in (["entry"], ["group"]):
                raise InvalidInput(f"server.widget.menu: {item!r} — each item is {{label: ..., entry: <entry id>}} "
                                   "or {label: ..., group: <skill group>}")

    def buttons(self, kb, groups) -> List[dict]:
        """The menu as the widget draws it, each with the payload it sends; an item whose entry is not live
        (or whose group does not exist) is left out rather than offering what cannot be answered."""
        shown = []
        unknown = set(self.file_types) - set(FILE_TYPES)
        if unknown:
            raise InvalidInput(f"server.widget.file_types: {sorted(unknown)} — faqbot takes {FILE_TYPES}")
        for item in self.menu:
            if "entry" in item and kb.get(item["entry"]) is not None and kb.get(item["entry"]).is_live():
                shown.append({"label": item["label"], "payload": select_payload(item["entry"])})
            elif "group" in item and item["group"] in groups:
                shown.append({"label": item["label"], "payload": person_payload(item["group"])})
        return shown

    def labels(self) -> Dict[str, str]:
        """Payload → the menu label the customer clicked (what the conversation shows for it)."""
        return {select_payload(i["entry"]) if "entry" in i else person_payload(i["group"]): i["label"]
                for i in self.menu}

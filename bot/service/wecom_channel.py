"""WeCom customer service (企业微信客服): customers write to a 客服 account from WeChat; faqbot answers.

WeCom does not put the message in its callback: the callback says "there are messages" (an event with a
token and the 客服 account), faqbot fetches them with ``kf/sync_msg`` and answers each with ``kf/send_msg`` —
as it sends what agents say after a hand-off. The conversation logic is the WeChat channel's (numbered
clarifications, 转人工, one customer across channels), under the channel name ``wecom``.
A restarted process starts from WeCom's first cursor again; messages sent before it started are not
answered twice (``STARTED_SLACK_SECONDS``).
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, Tuple

from bot.channel_settings import WeComConfig
from bot.privacy import MaskingFilter
from bot.service.conversations import Conversations
from bot.service.wechat_channel import WeChatChannel
from knowledge_base.errors import Unavailable

log = logging.getLogger("faqbot.wecom")
log.addFilter(MaskingFilter())
CHANNEL = "wecom"
FROM_CUSTOMER = 3  # sync_msg ``origin``: the customer wrote it (4: the system, 5: a WeCom staff member)
STARTED_SLACK_SECONDS = 60
SEEN_KEPT = 10_000


class KfApi:
    """The 微信客服 API at ``api_base``: the access token (kept until it expires), sync_msg, send_msg."""

    def __init__(self, settings: WeComConfig, timeout: float = 10):
        import requests

        self.settings, self.base, self.timeout = settings, settings.api_base.rstrip("/"), timeout
        self.http = requests.Session()
        self._token, self._expires = "", 0.0
        self._lock = threading.Lock()

    def sync(self, token: str, open_kfid: str, cursor: str) -> Tuple[list, str, bool]:
        """(messages, the next cursor, whether more are waiting)."""
        data = self._call("/cgi-bin/kf/sync_msg", {"cursor": cursor, "token": token, "limit": 1000,
                                                   "open_kfid": open_kfid})
        return data.get("msg_list", []), data.get("next_cursor", cursor), bool(data.get("has_more"))

    def send_text(self, user: str, open_kfid: str, text: str) -> None:
        self._call("/cgi-bin/kf/send_msg", {"touser": user, "open_kfid": open_kfid, "msgtype": "text",
                                             "text": {"content": text}})

    def _call(self, path: str, body: dict) -> dict:
        data = self.http.post(self.base + path, params={"access_token": self._access_token()}, json=body,
                              timeout=self.timeout).json()
        if data.get("errcode"):
            raise Unavailable(f"WeCom {path}: {data.get('errcode')} {data.get('errmsg', '')}")
        return data

    def _access_token(self) -> str:
        with self._lock:
            if time.time() < self._expires:
                return self._token
            data = self.http.get(self.base + "/cgi-bin/gettoken", timeout=self.timeout,
                                 params={"corpid": self.settings.corp_id, "corpsecret": self.settings.secret}).json()
            if data.get("errcode"):
                raise Unavailable(f"WeCom gettoken: {data.get('errcode')} {data.get('errmsg', '')}")
            self._token, self._expires = data["access_token"], time.time() + int(data.get("expires_in", 7200)) - 300
            return self._token


class WeComChannel:
    def __init__(self, conversations: Conversations, settings: WeComConfig, api=None, clock=time.time):
        self.api = api or KfApi(settings)
        self.chat = WeChatChannel(conversations, settings, sender=self, channel=CHANNEL)
        self.started = clock()
        self.account: Dict[str, str] = {}  # customer (external_userid) → the 客服 account they wrote to
        self._cursors: Dict[str, str] = {}
        self._seen: Dict[str, None] = {}  # message ids answered (a callback may come twice)
        self._work = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wecom-sync")  # in order

    def notified(self, token: str, open_kfid: str) -> None:
        """WeCom's callback said messages wait at ``open_kfid``: fetch and answer them (the callback returns now)."""
        self._work.submit(self._sync, token, open_kfid)

    def _sync(self, token: str, open_kfid: str) -> None:
        try:
            more = True
            while more:
                messages, self._cursors[open_kfid], more = self.api.sync(token, open_kfid,
                                                                         self._cursors.get(open_kfid, ""))
                for message in messages:
                    self._answer(open_kfid, message)
        except Exception as exc:  # noqa: BLE001 — WeCom away: the next callback fetches from the same cursor
            log.warning("wecom: messages not fetched or answered: %s", exc)

    def _answer(self, open_kfid: str, message: dict) -> None:
        if message.get("origin") != FROM_CUSTOMER or message.get("msgtype") != "text" or self._known(message):
            return
        if message.get("send_time", self.started) < self.started - STARTED_SLACK_SECONDS:
            return  # before this process started: answered then (a restart reads from the first cursor)
        user = message["external_userid"]
        self.account[user] = open_kfid
        words = self.chat.answer(user, message["text"]["content"][:2000])
        if words:
            self.api.send_text(user, open_kfid, words)

    def _known(self, message: dict) -> bool:
        msgid = message.get("msgid", "")
        if msgid in self._seen:
            return True
        self._seen[msgid] = None
        while len(self._seen) > SEEN_KEPT:
            self._seen.pop(next(iter(self._seen)))
        return False

    def send_text(self, user: str, text: str) -> None:
        """An agent's message (or a desk notice) to the customer, through the account they wrote to."""
        self.api.send_text(user, self.account.get(user, ""), text)

    def close(self) -> None:
        self._work.shutdown(wait=False)
        self.chat.close()

"""Customers on a WeChat Official Account (公众号): their text messages answered in WeChat's passive reply,
what agents say after a hand-off sent through the customer-service message API.

WeChat waits 5 seconds for the passive reply to a message; an agent answers later, so agent messages and
notices go out through ``/cgi-bin/message/custom/send`` (wechatpy's client, ``api_base`` configurable).
A conversation is the customer's openid (``wechat:<openid>``); its ``customer_id`` is the shop's id of the
customer once the shop linked the openid to it (bot/store/customer_links.py), the openid until then.
Clarifications are numbered: replying with the number picks the option (bot.picks).
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from bot.channel_settings import WeChatConfig
from bot.privacy import MaskingFilter
from bot.service.conversations import Conversations, session_topic
from bot.store.customer_links import CustomerLinks
from knowledge_base.errors import FaqbotError

log = logging.getLogger("faqbot.wechat")
log.addFilter(MaskingFilter())
CHANNEL = "wechat"
PICK_HINT = {"zh": "（回复数字即可选择）", "en": "(Reply with a number to choose.)"}
PICTURE = {"kept": "已收到您的图片。如需人工查看，请回复“转人工”。", "not_taken": "抱歉，这张图片未能接收，请用文字描述您的问题。"}
DELIVERED = ("agent", "system")  # pushed events a WeChat customer reads; the survey's stars need the widget


def session_of(openid: str, channel: str = CHANNEL) -> str:
    return f"{channel}:{openid}"[:128]


class CustomerServiceSender:
    """Text to one customer through the customer-service message API, with the access token fetched and
    kept by wechatpy, from ``api_base`` (api.weixin.qq.com, or a stand-in)."""

    def __init__(self, settings: WeChatConfig):
        from wechatpy.client import WeChatClient

        base = settings.api_base.rstrip("/")

        class Client(WeChatClient):
            API_BASE_URL = base + "/cgi-bin/"

            def fetch_access_token(self):
                return self._fetch_access_token(url=base + "/cgi-bin/token", params={
                    "grant_type": "client_credential", "appid": self.appid, "secret": self.secret})

        self.client = Client(settings.app_id, settings.app_secret)

    def send_text(self, openid: str, text: str) -> None:
        self.client.message.send_text(openid, text)


class WeChatChannel:
    """One customer's messages in and out of a WeChat-like channel (``channel``: wechat, or wecom whose
    sender is WeCom's 客服 API): the conversation, the words sent back, what agents say sent after."""

    def __init__(self, conversations: Conversations, settings: WeChatConfig, sender=None, channel: str = CHANNEL,
                 attachments=None):
        self.conversations = conversations
        self.attachments = attachments  # bot.service.attachments.Attachments: customers' photos; None: not taken
        self.settings = settings
        self.channel = channel
        self.sender = sender or CustomerServiceSender(settings)
        self.links = CustomerLinks(conversations.store)
        self._outbox = ThreadPoolExecutor(max_workers=2, thread_name_prefix="wechat-send")
        self._following: set = set()
        self._lock = threading.Lock()

    def answer(self, openid: str, text: str) -> str:
        """The passive reply's text to a customer's message ("" while an agent has the conversation:
        their answer comes through the message API)."""
        session = session_of(openid, self.channel)
        customer = self.links.customer_of(self.channel, openid) or openid  # the shop's id once it linked them
        reply = self.conversations.handle(session, text, self.channel, customer_id=customer)
        self._follow(session, openid)
        return self.words(reply)

    def picture(self, openid: str, url: str) -> str:
        """A photo the customer sent (WeChat gives its address): fetched, checked and kept like the widget's
        (bot/service/attachments.py); the passive reply says whether it was taken."""
        if self.attachments is None or not url.startswith(("http://", "https://")):
            return PICTURE["not_taken"]
        import requests

        session = session_of(openid, self.channel)
        customer = self.links.customer_of(self.channel, openid) or openid
        self.conversations.store.ensure_session(session, self.channel, customer)
        try:
            with requests.get(url, timeout=10, stream=True) as response:
                data = response.raw.read(self.attachments.settings.max_file_bytes + 1, decode_content=True)
            self.attachments.receive(session, data, "wechat.jpg")
        except (requests.RequestException, FaqbotError) as exc:
            log.warning("wechat: picture not kept: %s", exc)
            return PICTURE["not_taken"]
        self._follow(session, openid)
        return "" if self.conversations.desk and self.conversations.desk.open_handoff(session) else PICTURE["kept"]

    def words(self, reply: dict) -> str:
        if reply.get("type") == "relayed":
            return ""
        if reply.get("type") != "bot":
            return reply.get("text", "")
        text = reply["text"]
        if reply["decision"] == "clarify":
            text += "\n" + PICK_HINT.get(self._language(text), PICK_HINT["zh"])
        notice = (reply.get("handoff") or {}).get("notice")
        return f"{text}\n{notice}" if notice else text

    def _follow(self, session: str, openid: str) -> None:
        """Send what agents say in this conversation (and the desk's notices) to the customer's WeChat."""
        with self._lock:
            if session in self._following:
                return
            self._following.add(session)
        self.conversations.hub.on(session_topic(session), lambda event: self._deliver(openid, event))

    def _deliver(self, openid: str, event: dict) -> None:
        if event.get("type") in DELIVERED and event.get("text"):
            self._outbox.submit(self._send, openid, event["text"])

    def _send(self, openid: str, text: str) -> None:
        try:
            self.sender.send_text(openid, text)
        except Exception as exc:  # noqa: BLE001 — WeChat away: the message is in the store, the agent sees it sent
            log.warning("wechat: customer-service message not delivered: %s", exc)

    def _language(self, text: str) -> str:
        language = self.conversations.bot.language
        return language if language != "auto" else ("zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en")

    def close(self) -> None:
        self._outbox.shutdown(wait=False)

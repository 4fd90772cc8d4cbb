"""WeCom customer service (企业微信客服) as WeCom calls it: URL verification, the encrypted "messages wait"
event, messages fetched with sync_msg and answered with send_msg on a local stand-in of WeCom's API — a
clarification picked by number, a hand-off whose agent reply is delivered, and bad signatures refused."""
import time

import pytest
import xmltodict
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.channel_settings import ChannelsConfig, WeComConfig
from bot.config import HandoffConfig
from bot.http.app import create_app
from bot.store import ConversationStore
from tests.browser import serving
from tests.conftest import add_staff, sign_in, wait_until

TOKEN, CORP, AES_KEY, KF = "wecom-token", "ww0123456789", "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210abcdefg", "wkSHOP"


class WeCom:
    """The stand-in: messages customers wrote (waiting for sync_msg) and what faqbot sent."""

    def __init__(self):
        self.waiting, self.sent, self.synced = [], [], 0

    def app(self) -> FastAPI:
        api = FastAPI()

        @api.get("/cgi-bin/gettoken")
        def token(corpid: str, corpsecret: str):
            return {"errcode": 0, "access_token": f"at-{corpid}", "expires_in": 7200}

        @api.post("/cgi-bin/kf/sync_msg")
        async def sync(request: Request, access_token: str):
            body = await request.json()
            assert body["token"] == "event-token" and body["open_kfid"] == KF
            self.synced += 1
            messages, self.waiting = self.waiting, []
            return {"errcode": 0, "next_cursor": f"c{self.synced}", "has_more": 0, "msg_list": messages}

        @api.post("/cgi-bin/kf/send_msg")
        async def send(request: Request, access_token: str):
            self.sent.append(dict(await request.json(), access_token=access_token))
            return {"errcode": 0, "msgid": "out"}

        return api

    def said(self, user: str) -> list:
        return [m["text"]["content"] for m in self.sent if m["touser"] == user]


@pytest.fixture(scope="module")
def wecom():
    stand_in = WeCom()
    with serving(stand_in.app()) as url:
        yield stand_in, url


@pytest.fixture(scope="module")
def client(demo_bot, store_url, wecom):
    settings = WeComConfig(token=TOKEN, corp_id=CORP, secret="kf-secret", encoding_aes_key=AES_KEY, api_base=wecom[1])
    app = create_app(demo_bot, ConversationStore(store_url), handoff=HandoffConfig(),
                     channels=ChannelsConfig(wecom=settings))
    add_staff(app, ("zheng", "agent", ["general", "expert", "complaints"], "小郑"))
    with TestClient(app) as client:
        yield client


CRYPTO = WeChatCrypto(TOKEN, AES_KEY, CORP)


def sealed(plain: str) -> tuple:
    """(query, body) of an encrypted callback as WeCom sends it."""
    timestamp, nonce = str(int(time.time())), "n" + str(time.time_ns())[-8:]
    envelope = CRYPTO.encrypt_message(plain, nonce, timestamp)
    fields = xmltodict.parse(envelope)["xml"]
    return {"msg_signature": fields["MsgSignature"], "timestamp": timestamp, "nonce": nonce}, fields["Encrypt"]


def customer_writes(client, wecom, user: str, text: str, expect_reply: bool = True) -> str:
    """The customer's message waits at WeCom; the callback tells faqbot; its answer (or "" when none came)."""
    stand_in, _ = wecom
    before = len(stand_in.said(user))
    stand_in.waiting.append({"msgid": f"m{time.time_ns()}", "open_kfid": KF, "external_userid": user,
                             "send_time": int(time.time()), "origin": 3, "msgtype": "text", "text": {"content": text}})
    event = (f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><CreateTime>{int(time.time())}</CreateTime>"
             f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>"
             f"<Token><![CDATA[event-token]]></Token><OpenKfId><![CDATA[{KF}]]></OpenKfId></xml>")
    query, encrypted = sealed(event)
    body = f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    response = client.post("/channels/wecom", params=query, content=body.encode())
    assert response.status_code == 200 and response.text == "success"
    if not expect_reply:
        wait_until(lambda: not stand_in.waiting, 10, "the message fetched")
        return ""
    return wait_until(lambda: stand_in.said(user)[before:], 15, f"faqbot's answer to {text!r}")[-1]


def test_url_verification_decrypts_the_echo_only_with_the_right_signature(client):
    query, encrypted = sealed("echo-4711")
    assert client.get("/channels/wecom", params=dict(query, echostr=encrypted)).text == "echo-4711"
    forged = dict(query, msg_signature="0" * 40, echostr=encrypted)
    assert client.get("/channels/wecom", params=forged).status_code == 403


def test_a_message_is_fetched_and_answered(client, wecom, demo_bot):
    assert customer_writes(client, wecom, "wm-fee", "运费怎么算") == demo_bot.kb["shipping_fee"].answer_for()
    assert all(m["access_token"] == f"at-{CORP}" and m["open_kfid"] == KF for m in wecom[0].sent)


def test_a_forged_callback_is_refused_and_fetches_nothing(client, wecom):
    stand_in, _ = wecom
    synced = stand_in.synced
    query, encrypted = sealed("<xml><Event>kf_msg_or_event</Event><Token>event-token</Token>"
                              f"<OpenKfId>{KF}</OpenKfId></xml>")
    body = f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode()
    assert client.post("/channels/wecom", params=dict(query, msg_signature="f" * 40), content=body).status_code == 403
    assert stand_in.synced == synced


def test_a_clarification_is_numbered_and_a_number_picks(client, wecom, demo_bot):
    offered = customer_writes(client, wecom, "wm-clarify", "快递")
    numbered = [line for line in offered.splitlines() if line[:2] in ("1.", "2.", "3.")]
    assert len(numbered) >= 2 and "回复数字" in offered
    entry = next(e for e in demo_bot.kb if e.question == numbered[1].split(". ", 1)[1])
    assert customer_writes(client, wecom, "wm-clarify", "2") == entry.answer_for()


def test_a_hand_off_then_the_agents_reply_reaches_the_customer(client, wecom):
    zheng = sign_in(client, "zheng", status="online")
    assert "前面还有" in customer_writes(client, wecom, "wm-person", "转人工")
    handoff = client.app.state.conversations.desk.open_handoff("wecom:wm-person")["id"]
    client.post(f"/api/agent/handoffs/{handoff}/accept", headers=zheng)
    customer_writes(client, wecom, "wm-person", "我的快递三天没动了", expect_reply=False)
    client.post(f"/api/agent/handoffs/{handoff}/messages", json={"text": "您好，我来查一下"}, headers=zheng)
    wait_until(lambda: "您好，我来查一下" in wecom[0].said("wm-person"), 10, "the agent's message sent with send_msg")
    assert any("小郑" in text for text in wecom[0].said("wm-person")), "the accepted notice goes out too"

"""The WeChat Official Account channel as WeChat's servers call it: URL verification, signed plain and
AES-encrypted messages, a clarification picked by number, a hand-off whose agent reply goes out through a
local stand-in of the customer-service message API, and bad signatures refused with 403."""
import hashlib
import json
import os
import time

import pytest
import xmltodict
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from wechatpy.crypto import WeChatCrypto

from bot.channel_settings import ChannelsConfig, WeChatConfig
from bot.config import HandoffConfig
from bot.http.app import create_app
from bot.store import ConversationStore
from tests.browser import ARTEFACTS, serving
from handoff.webhooks import sign
from knowledge_base.environment import Environment
from tests.conftest import Customer, add_staff, browser_sign_in, sign_in, wait_until

TOKEN, APP_ID, AES_KEY = "faqbot-token", "wx0123456789abcdef", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SHOP_SECRET = "the-shops-signing-secret"


def _photo() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()


PICTURES = {"damaged.jpg": _photo(), "page.jpg": b"<html><script>alert(1)</script></html>"}


@pytest.fixture(scope="module")
def stand_in():
    """WeChat's API as far as faqbot uses it: the access token and customer-service messages, recorded."""
    api, sent = FastAPI(), []

    @api.get("/cgi-bin/token")
    def token(appid: str, secret: str):
        return {"access_token": f"token-of-{appid}", "expires_in": 7200}

    @api.post("/cgi-bin/message/custom/send")
    async def custom_send(request: Request, access_token: str):
        sent.append(dict(await request.json(), access_token=access_token))
        return {"errcode": 0, "errmsg": "ok"}

    @api.get("/media/{name}")
    def media(name: str):  # where WeChat keeps the pictures customers send (PicUrl)
        from fastapi.responses import Response

        return Response(PICTURES[name], media_type="image/jpeg")

    with serving(api) as url:
        yield url, sent


@pytest.fixture(scope="module")
def client(demo_bot, store_url, stand_in):
    wechat = WeChatConfig(app_id=APP_ID, app_secret="secret", encoding_aes_key=AES_KEY, api_base=stand_in[0])
    environment = Environment.read(environ={"FAQBOT_WECHAT_TOKEN": TOKEN, "FAQBOT_WEBHOOK_SECRET": SHOP_SECRET,
                                            "FAQBOT_CACHE": os.environ["FAQBOT_CACHE"]})  # the token from there
    app = create_app(demo_bot, ConversationStore(store_url), handoff=HandoffConfig(), environment=environment,
                     channels=ChannelsConfig(wechat=wechat))
    add_staff(app, ("wu", "agent", ["general", "expert", "complaints"], "小吴"))
    with TestClient(app) as client:
        yield client


def signed(token=TOKEN, **extra) -> dict:
    timestamp, nonce = str(int(time.time())), "nonce42"
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    return dict(signature=signature, timestamp=timestamp, nonce=nonce, **extra)


def message_xml(openid: str, text: str) -> str:
    return (f"<xml><ToUserName><![CDATA[gh_shop]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{text}]]></Content><MsgId>{time.time_ns()}</MsgId></xml>")


def send(client, openid: str, text: str) -> str:
    """A plain-mode message; the passive reply's text ("" for WeChat's bare "success")."""
    response = client.post("/channels/wechat", params=signed(), content=message_xml(openid, text).encode())
    assert response.status_code == 200, response.text
    if response.text == "success":
        return ""
    reply = xmltodict.parse(response.text)["xml"]
    assert reply["ToUserName"] == openid and reply["FromUserName"] == "gh_shop"
    return reply["Content"]


def test_url_verification_echoes_only_with_the_right_signature(client):
    assert client.get("/channels/wechat", params=signed(echostr="4711")).text == "4711"
    assert client.get("/channels/wechat", params=signed(token="wrong", echostr="4711")).status_code == 403


def test_a_plain_message_gets_the_answer_as_passive_reply(client, demo_bot):
    assert send(client, "o-plain", "运费怎么算") == demo_bot.kb["shipping_fee"].answer_for()


def test_a_bad_signature_is_refused_and_nothing_is_answered_or_stored(client):
    response = client.post("/channels/wechat", params=signed(token="forged"),
                           content=message_xml("o-forged", "运费怎么算").encode())
    assert response.status_code == 403 and "<xml>" not in response.text
    assert client.app.state.conversations.store.session("wechat:o-forged") is None


def test_an_encrypted_message_gets_an_encrypted_answer(client, demo_bot):
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    params = signed(encrypt_type="aes")
    envelope = crypto.encrypt_message(message_xml("o-aes", "运费怎么算"), params["nonce"], params["timestamp"])
    params["msg_signature"] = xmltodict.parse(envelope)["xml"]["MsgSignature"]
    response = client.post("/channels/wechat", params=params, content=envelope.encode())
    assert response.status_code == 200, response.text
    sealed = xmltodict.parse(response.text)["xml"]
    assert "Content" not in sealed and sealed["Encrypt"]
    opened = crypto.decrypt_message(response.text, sealed["MsgSignature"], sealed["TimeStamp"], sealed["Nonce"])
    assert xmltodict.parse(opened)["xml"]["Content"] == demo_bot.kb["shipping_fee"].answer_for()
    tampered = dict(params, msg_signature="0" * 40)
    assert client.post("/channels/wechat", params=tampered, content=envelope.encode()).status_code == 403


def test_a_clarification_is_numbered_and_a_number_picks(client, demo_bot):
    offered = send(client, "o-clarify", "快递")
    numbered = [line for line in offered.splitlines() if line[:2] in ("1.", "2.", "3.")]
    assert len(numbered) >= 2 and "回复数字" in offered
    second = numbered[1].split(". ", 1)[1]
    entry = next(e for e in demo_bot.kb if e.question == second)
    assert send(client, "o-clarify", "2") == entry.answer_for()


def test_a_hand_off_then_the_agents_reply_reaches_wechat(client, stand_in):
    _, sent = stand_in
    wu = sign_in(client, "wu", status="online")
    told = send(client, "o-person", "转人工")
    assert "前面还有" in told
    handoff = client.app.state.conversations.desk.open_handoff("wechat:o-person")["id"]
    client.post(f"/api/agent/handoffs/{handoff}/accept", headers=wu)
    assert send(client, "o-person", "我的快递三天没动了") == "", "an agent has it: no bot reply"
    client.post(f"/api/agent/handoffs/{handoff}/messages", json={"text": "您好，我来查一下"}, headers=wu)
    wait_until(lambda: any(m["text"]["content"] == "您好，我来查一下" for m in sent), 10,
               "the agent's message sent through the customer-service API")
    delivered = [m for m in sent if m["touser"] == "o-person"]
    assert all(m["msgtype"] == "text" and m["access_token"] == f"token-of-{APP_ID}" for m in delivered)
    assert any("小吴" in m["text"]["content"] for m in delivered), "the accepted notice goes out too"


def link(client, body: dict, secret: str = SHOP_SECRET):
    raw, stamp, path = json.dumps(body).encode(), str(time.time()), "/api/integrations/customers/link"
    return client.post(path, content=raw, headers={"Content-Type": "application/json", "X-Faqbot-Timestamp": stamp,
                                                   "X-Faqbot-Signature": sign(secret, stamp, raw, "POST", path)})


def test_a_customer_from_the_web_continued_on_wechat_is_one_history_for_the_agent(client):
    Customer(client, "web-c42").say("运费怎么算", customer_id="c-42")  # the shop's page names its customer
    assert send(client, "o-c42", "发票怎么开")  # the same person on WeChat, before the shop linked them
    forged = {"channel": "wechat", "external_id": "o-c42", "customer_id": "c-someone-else"}
    assert link(client, forged, secret="guessed").status_code == 401
    assert link(client, {"channel": "wechat", "external_id": "o-c42", "customer_id": "c-42"}).status_code == 200
    wu = sign_in(client, "wu", status="online")
    send(client, "o-c42", "转人工")
    handoff = client.app.state.conversations.desk.open_handoff("wechat:o-c42")["id"]
    history = client.get(f"/api/agent/handoffs/{handoff}/conversations", headers=wu).json()
    assert [(c["channel"], c["id"]) for c in history] == [("web", "web-c42"), ("wechat", "wechat:o-c42")]
    assert [m["text"] for m in history[0]["messages"] if m["sender"] == "customer"] == ["运费怎么算"]
    assert [m["text"] for m in history[1]["messages"] if m["sender"] == "customer"] == ["发票怎么开", "转人工"]


@pytest.fixture(scope="module")
def server(client):
    """The same app served to a browser (stopped with the module: its stop closes the WeChat sender)."""
    with serving(client.app) as url:
        yield url


def test_the_agent_workspace_shows_the_web_and_wechat_conversations_of_one_customer(client, server, browser):
    Customer(client, "web-c77").say("运费怎么算", customer_id="c-77")
    assert link(client, {"channel": "wechat", "external_id": "o-c77", "customer_id": "c-77"}).status_code == 200
    wu = sign_in(client, "wu", status="online")
    send(client, "o-c77", "转人工")
    handoff = client.app.state.conversations.desk.open_handoff("wechat:o-c77")["id"]
    client.post(f"/api/agent/handoffs/{handoff}/accept", headers=wu)
    context, agent = browser_sign_in(browser, server + "/agent", "wu")
    agent.locator(f"[data-mine='{handoff}']").click()
    rows = agent.locator("#packet .earlier .conversation")
    rows.nth(1).wait_for()
    assert [r.get_attribute("data-channel") for r in rows.all()] == ["web", "wechat"]
    assert "运费怎么算" in rows.nth(0).inner_text() and "转人工" in rows.nth(1).inner_text()
    agent.screenshot(path=str(ARTEFACTS / "agent-one-customer-two-channels.png"))
    context.close()


def test_a_browser_cannot_start_or_read_a_wechat_customers_conversation(client):
    """Else a widget could create wechat:<openid> first, own its token and read what that customer says."""
    for session in ("wechat:o-victim", "rasa:victim"):
        assert client.post("/api/messages", json={"session_id": session, "text": "你好"}).status_code == 403
        assert client.get(f"/api/sessions/{session}/messages").status_code == 403
        with client.websocket_connect(f"/ws/{session}") as socket:
            socket.send_json({"text": "你好"})
            with pytest.raises(Exception):
                socket.receive_json()
    assert client.app.state.conversations.store.session("wechat:o-victim") is None
    assert send(client, "o-victim", "运费怎么算")  # the customer's own WeChat conversation is unaffected


def test_with_a_secret_only_a_customer_id_the_host_page_signed_is_taken(demo_bot):
    import hmac as hmac_

    environment = Environment.read(environ={"FAQBOT_CUSTOMER_ID_SECRET": "shop-secret",
                                            "FAQBOT_CACHE": os.environ["FAQBOT_CACHE"]})
    app = create_app(demo_bot, environment=environment)
    client, store = TestClient(app), app.state.conversations.store
    signature = hmac_.new(b"shop-secret", b"c-signed", hashlib.sha256).hexdigest()
    Customer(client, "signed-id").say("运费怎么算", customer_id=f"c-signed.{signature}")
    Customer(client, "forged-id").say("运费怎么算", customer_id="c-signed.0123abcd")  # answered, but as nobody
    Customer(client, "bare-id").say("运费怎么算", customer_id="c-signed")
    assert [store.session(s)["customer_id"] for s in ("signed-id", "forged-id", "bare-id")] == ["c-signed", None, None]


def picture_xml(openid: str, url: str) -> str:
    return (f"<xml><ToUserName><![CDATA[gh_shop]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[image]]></MsgType>"
            f"<PicUrl><![CDATA[{url}]]></PicUrl><MediaId><![CDATA[m1]]></MediaId><MsgId>{time.time_ns()}</MsgId></xml>")


def test_a_photo_sent_on_wechat_is_kept_with_the_conversation_and_a_disguised_page_is_not(client, stand_in):
    store = client.app.state.conversations.store
    for name, kept in (("damaged.jpg", True), ("page.jpg", False)):
        response = client.post("/channels/wechat", params=signed(),
                               content=picture_xml("o-photo", f"{stand_in[0]}/media/{name}").encode())
        told = xmltodict.parse(response.text)["xml"]["Content"]
        assert ("已收到您的图片" in told) is kept and ("未能接收" in told) is not kept
    said = [m["text"] for m in store.history("wechat:o-photo") if m["sender"] == "customer"]
    assert len(said) == 1 and said[0].startswith("[图片] #")
    attachment = client.app.state.attachments.get(int(said[0].split("#")[1]))
    assert attachment["content_type"] == "image/jpeg" and attachment["session_id"] == "wechat:o-photo"

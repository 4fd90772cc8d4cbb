"""GET/POST /channels/wecom: the callback URL of a WeCom customer-service (微信客服) app.

GET answers WeCom's URL check (the encrypted ``echostr``, decrypted, back when ``msg_signature`` matches);
POST is an encrypted event saying messages wait — faqbot fetches and answers them after replying "success"
(bot/service/wecom_channel.py). A wrong signature is refused with 403 and nothing is fetched.
"""
from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from bot.channel_settings import WeComConfig
from bot.service.wecom_channel import WeComChannel
from knowledge_base.errors import Forbidden

KF_EVENT = "kf_msg_or_event"


def wecom_router(channel: WeComChannel, settings: WeComConfig) -> APIRouter:
    import xmltodict
    from wechatpy.enterprise.crypto import WeChatCrypto
    from wechatpy.exceptions import InvalidSignatureException

    router = APIRouter(tags=["channels"])
    crypto = WeChatCrypto(settings.token, settings.encoding_aes_key, settings.corp_id)

    @router.get("/channels/wecom", response_class=PlainTextResponse,
                summary="WeCom's callback URL check: the decrypted echostr when the signature matches")
    def verify(msg_signature: str = Query(""), timestamp: str = Query(""), nonce: str = Query(""),
               echostr: str = Query("", max_length=1024)) -> str:
        try:
            return crypto.check_signature(msg_signature, timestamp, nonce, echostr)
        except InvalidSignatureException:
            raise Forbidden("the WeCom signature does not match the token") from None

    @router.post("/channels/wecom", response_class=PlainTextResponse,
                 summary="WeCom's encrypted event: customer messages wait; fetched and answered after the reply")
    async def receive(request: Request, msg_signature: str = Query(""), timestamp: str = Query(""),
                      nonce: str = Query("")) -> str:
        body = (await request.body()).decode("utf-8", "replace")
        try:
            event = xmltodict.parse(crypto.decrypt_message(body, msg_signature, timestamp, nonce))["xml"]
        except InvalidSignatureException:
            raise Forbidden("the WeCom message signature does not match") from None
        if event.get("Event") == KF_EVENT and event.get("Token") and event.get("OpenKfId"):
            channel.notified(event["Token"], event["OpenKfId"])
        return "success"

    return router

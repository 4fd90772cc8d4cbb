"""POST/GET /channels/wechat: a WeChat Official Account's server URL, as WeChat's developer docs describe it.

GET verifies the URL (``echostr`` back when the signature is right). POST carries a customer's message as
XML, plain or — with ``encrypt_type=aes`` — encrypted with the EncodingAESKey; the answer is the passive
reply (encrypted alike). A request whose signature does not check out is refused with 403 and answered
nothing. Parsing, signatures and encryption are wechatpy's; the conversation is bot/service/wechat_channel.
"""
from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, Response

from bot.channel_settings import WeChatConfig
from bot.http.answering import AnsweringPool
from bot.service.wechat_channel import WeChatChannel
from knowledge_base.errors import Forbidden

NOT_TEXT = {"zh": "目前只能回复文字消息，请用文字描述您的问题。", "en": "Please describe your question in text."}
SUCCESS = "success"  # WeChat's "received, nothing to say"


def wechat_router(channel: WeChatChannel, settings: WeChatConfig, answering: AnsweringPool) -> APIRouter:
    from wechatpy import parse_message
    from wechatpy.crypto import WeChatCrypto
    from wechatpy.exceptions import InvalidSignatureException
    from wechatpy.replies import TextReply
    from wechatpy.utils import check_signature

    router = APIRouter(tags=["channels"])
    crypto = WeChatCrypto(settings.token, settings.encoding_aes_key, settings.app_id) \
        if settings.encoding_aes_key else None

    def signed(signature: str, timestamp: str, nonce: str) -> None:
        try:
            check_signature(settings.token, signature, timestamp, nonce)
        except InvalidSignatureException:
            raise Forbidden("the WeChat signature does not match the token") from None

    @router.get("/channels/wechat", response_class=PlainTextResponse,
                summary="WeChat's server URL check: echostr back when the signature matches the token")
    def verify(signature: str = Query(""), timestamp: str = Query(""), nonce: str = Query(""),
               echostr: str = Query("", max_length=256)) -> str:
        signed(signature, timestamp, nonce)
        return echostr

    @router.post("/channels/wechat", summary="A customer's WeChat message (XML, plain or AES); the passive reply")
    async def receive(request: Request, signature: str = Query(""), timestamp: str = Query(""),
                      nonce: str = Query(""), encrypt_type: str = Query("raw"),
                      msg_signature: str = Query("")) -> Response:
        signed(signature, timestamp, nonce)
        body = (await request.body()).decode("utf-8", "replace")
        encrypted = encrypt_type == "aes"
        if encrypted:
            if crypto is None:
                raise Forbidden("encrypted WeChat messages need channels.wechat.encoding_aes_key")
            try:
                body = crypto.decrypt_message(body, msg_signature, timestamp, nonce)
            except InvalidSignatureException:
                raise Forbidden("the WeChat message signature does not match") from None
        message = parse_message(body)
        if message.type == "event":
            return PlainTextResponse(SUCCESS)
        if message.type == "text":
            text = await answering.run(channel.answer, message.source, message.content[:2000])
        elif message.type == "image":
            text = await answering.run(channel.picture, message.source, message.image)
        else:
            text = NOT_TEXT["en" if channel.conversations.bot.language == "en" else "zh"]
        if not text:
            return PlainTextResponse(SUCCESS)
        xml = TextReply(content=text, message=message).render()
        if encrypted:
            xml = crypto.encrypt_message(xml, nonce, timestamp)
        return Response(xml, media_type="application/xml")

    return router

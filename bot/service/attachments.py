"""Pictures and files customers send (a damaged parcel, an invoice PDF), kept with the conversation.

What a browser says a file is counts for nothing: the bytes are sniffed. A picture is decoded and encoded
again (PNG or JPEG, no metadata — a phone photo's GPS position stays out), so what is stored and shown is a
plain image whatever the upload hid in it; a PDF with scripts or launch actions is refused, the others are
served as downloads. Types and size come from ``server.widget`` (bot/widget_settings.py). The file is a
customer message (``[图片] #7`` / ``[文件] name #8``) the agent sees; ``faqbot forget`` deletes it with the rest.
"""
from __future__ import annotations

import io
import re
import time
from typing import Optional

from sqlalchemy import insert, select, update

from bot.service.conversations import Conversations
from bot.store.schema import attachments, messages
from bot.widget_settings import WidgetConfig
from knowledge_base.errors import InvalidInput, NotFound

MAX_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded
PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|OpenAction|AA|RichMedia|XFA)\b")
SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"%PDF-", "application/pdf"))
LABEL = {"image": "[图片]", "application/pdf": "[文件]"}


def sniff(data: bytes) -> Optional[str]:
    """The type the bytes are, by their signature (None: none faqbot takes)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in SIGNATURES if data.startswith(magic)), None)


def reencoded(data: bytes) -> tuple:
    """(bytes, content type) of the picture drawn again: PNG when it has transparency, else JPEG."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise InvalidInput(f"the picture is too large ({image.width}×{image.height} pixels)")
            image.load()
            transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
            clean = image.convert("RGBA" if transparent else "RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError, ValueError) as exc:
        raise InvalidInput(f"the picture cannot be read: {exc}") from None
    out = io.BytesIO()
    clean.save(out, "PNG" if transparent else "JPEG", quality=88)
    return out.getvalue(), "image/png" if transparent else "image/jpeg"


class Attachments:
    def __init__(self, conversations: Conversations, settings: WidgetConfig):
        self.conversations, self.settings = conversations, settings
        self.store = conversations.store

    def receive(self, session_id: str, data: bytes, name: str = "") -> dict:
        """Check, clean and keep a customer's file as their next message; the agent who has the
        conversation hears of it. InvalidInput (nothing kept) for a type or size not taken."""
        kind = sniff(data)
        if len(data) > self.settings.max_file_bytes:
            raise InvalidInput(f"files may be at most {self.settings.max_file_bytes} bytes")
        if kind is None or kind not in self.settings.file_types:
            raise InvalidInput(f"this file is not one faqbot takes ({', '.join(self.settings.file_types) or 'none'}); "
                               "its content decides, not its name")
        if kind == "application/pdf" and PDF_ACTIVE.search(data):
            raise InvalidInput("PDFs with scripts, actions or embedded files are not taken")
        if kind.startswith("image/"):
            data, kind = reencoded(data)
        name = re.sub(r"[^\w.\- ]", "_", name)[:100] or ("image" if kind.startswith("image/") else "file.pdf")
        text = LABEL["image"] if kind.startswith("image/") else f"{LABEL[kind]} {name}"
        return self._kept(session_id, data, kind, name, text)

    def _kept(self, session_id: str, data: bytes, kind: str, name: str, text: str) -> dict:
        session = self.store.session(session_id)
        if session is None:
            raise NotFound("start the conversation with a message first")
        message_id = self.store.receive(session_id, session["channel"], text)
        with self.store.transaction() as conn:
            attachment = int(conn.execute(insert(attachments).values(
                session_id=session_id, message_id=message_id, created=time.time(), content_type=kind, name=name,
                data=data).returning(attachments.c.id)).scalar_one())
            text = f"{text} #{attachment}"  # the transcript names the file it carries
            conn.execute(update(messages).where(messages.c.id == message_id).values(text=text))
        handoff = self.conversations.desk.open_handoff(session_id) if self.conversations.desk else None
        if handoff is not None and handoff["status"] != "leave_message":
            self.conversations.pass_to_agent(handoff, text, message_id)
        return {"type": "attachment", "message_id": message_id, "attachment_id": attachment,
                "content_type": kind, "text": text}

    def get(self, attachment_id: int, session_id: Optional[str] = None) -> dict:
        """The stored file (``session_id``: only if it is that conversation's)."""
        query = select(attachments).where(attachments.c.id == attachment_id)
        if session_id is not None:
            query = query.where(attachments.c.session_id == session_id)
        with self.store.reading() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise NotFound(f"no attachment {attachment_id}")
        return dict(row._mapping)

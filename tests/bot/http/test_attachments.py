"""Pictures and files from customers: sniffed, pictures drawn again without metadata, hostile files refused
with nothing kept, read back only by the conversation's owner and its agent, deleted by forget."""
import io

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from bot.config import HandoffConfig, ServerConfig
from bot.http.app import create_app
from bot.store import ConversationStore
from bot.widget_settings import WidgetConfig
from tests.browser import ARTEFACTS, serving
from tests.conftest import Customer, add_staff, browser_sign_in, sign_in


def photo(size=(64, 48), fmt="JPEG", **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 40)).save(out, fmt, **save)
    return out.getvalue()


def with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 0.0)}  # GPS info: where the photo was taken
    exif[0x010F] = "PhoneMaker"
    return photo(exif=exif.tobytes())


HOSTILE = {
    "html named .png": b"<html><script>alert(1)</script></html>",
    "svg with a script": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "a program": b"MZ\x90\x00" + b"\x00" * 200,
    "pdf with javascript": b"%PDF-1.4\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj",
    "png that is not one": b"\x89PNG\r\n\x1a\n" + b"garbage" * 20,
}


@pytest.fixture(scope="module")
def app(demo_bot, store_url):
    settings = ServerConfig(widget=WidgetConfig(max_file_bytes=200_000))
    app = create_app(demo_bot, ConversationStore(store_url), settings, HandoffConfig())
    add_staff(app, ("qian", "agent", ["general", "expert", "complaints"], "小钱"), ("sun", "agent", ["expert"], "小孙"))
    return app


@pytest.fixture(scope="module")
def client(app):
    return TestClient(app)


def upload(client, customer: Customer, data: bytes, name="photo.jpg"):
    return client.post("/api/attachments", params={"session_id": customer.session, "name": name}, content=data,
                       headers=customer.owned)


def test_a_photo_is_kept_redrawn_without_its_location_and_read_back_by_its_owner_only(client):
    customer = Customer(client, "files-owner")
    customer.say("收到的商品破损了")
    sent = upload(client, customer, with_gps())
    assert sent.status_code == 200, sent.text
    body = sent.json()
    assert body["content_type"] == "image/jpeg" and body["text"] == f"[图片] #{body['attachment_id']}"
    url = f"/api/sessions/{customer.session}/attachments/{body['attachment_id']}"
    served = client.get(url, headers=customer.owned)
    assert served.headers["content-type"] == "image/jpeg" and "sandbox" in served.headers["content-security-policy"]
    assert served.headers["x-content-type-options"] == "nosniff"
    kept = Image.open(io.BytesIO(served.content))
    assert kept.size == (64, 48) and not kept.getexif(), "no metadata (GPS, maker) survives"
    assert client.get(url).status_code == 403  # without the conversation's token
    other = Customer(client, "files-other")
    other.say("你好")
    assert client.get(f"/api/sessions/{other.session}/attachments/{body['attachment_id']}",
                      headers=other.owned).status_code == 404
    assert [m.get("attachment", {}).get("id") for m in customer.history() if m["sender"] == "customer"][-1] \
        == body["attachment_id"]


@pytest.mark.parametrize("what", sorted(HOSTILE))
def test_hostile_files_are_refused_and_nothing_is_kept(client, what):
    customer = Customer(client, f"files-hostile-{sorted(HOSTILE).index(what)}")
    customer.say("你好")
    before = customer.history()
    refused = upload(client, customer, HOSTILE[what], name="x.png")
    assert refused.status_code == 422 and refused.json()["detail"]
    assert customer.history() == before


def test_too_large_and_too_many_pixels_are_refused(client):
    customer = Customer(client, "files-large")
    customer.say("你好")
    assert upload(client, customer, b"\xff\xd8\xff" + b"\x00" * 300_000).status_code == 413
    bomb = photo((8000, 6000), "PNG", optimize=True)  # 48 million pixels in a few kilobytes
    assert len(bomb) < 200_000 and upload(client, customer, bomb, "bomb.png").status_code == 422


def test_a_pdf_is_served_as_a_download(client):
    customer = Customer(client, "files-pdf")
    customer.say("发票抬头开错了")
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF"
    body = upload(client, customer, pdf, name="发票 <script>.pdf").json()
    assert body["content_type"] == "application/pdf" and body["text"].startswith("[文件] ")
    served = client.get(f"/api/sessions/{customer.session}/attachments/{body['attachment_id']}", headers=customer.owned)
    assert served.content == pdf and served.headers["content-disposition"].startswith("attachment;")
    assert "<" not in served.headers["content-disposition"]


def test_the_agent_of_the_conversation_sees_the_photo_and_forget_deletes_it(client, app):
    qian, sun = sign_in(client, "qian", status="online"), sign_in(client, "sun")
    customer = Customer(client, "files-agent")
    handoff = customer.say("转人工")["handoff"]["handoff_id"]
    client.post(f"/api/agent/handoffs/{handoff}/accept", headers=qian)
    attachment = upload(client, customer, photo()).json()["attachment_id"]
    url = f"/api/agent/handoffs/{handoff}/attachments/{attachment}"
    seen = client.get(url, headers=qian)
    assert seen.status_code == 200 and seen.headers["content-type"] == "image/jpeg"
    assert client.get(url, headers=sun).status_code == 403, "an agent of another group reads nothing"
    transcript = client.get(f"/api/agent/handoffs/{handoff}", headers=qian).json()["transcript"]
    assert "[图片]" in transcript[-1]["text"]
    assert app.state.conversations.store.forget(session_ids=[customer.session])["attachments"] == 1
    assert client.get(url, headers=qian).status_code == 404


@pytest.fixture(scope="module")
def server(app):
    with serving(app) as url:
        yield url


def test_in_the_widget_a_photo_shows_and_a_disguised_page_is_refused(browser, server, tmp_path):
    context = browser.new_context()
    page = context.new_page()
    page.goto(server + "/")
    page.click(".fq-launch")
    page.locator(".fq-opt").first.wait_for()
    page.fill(".fq-form input", "收到的商品破损了")
    page.press(".fq-form input", "Enter")
    page.locator(".fq-log > .fq-bot").nth(1).wait_for()
    (tmp_path / "damaged.jpg").write_bytes(photo((120, 80)))
    (tmp_path / "invoice.png").write_bytes(HOSTILE["html named .png"])
    assert page.get_by_role("button", name="发送图片或文件").is_visible()
    page.set_input_files(".fq-file", str(tmp_path / "damaged.jpg"))
    picture = page.locator(".fq-me img")
    picture.wait_for()
    page.wait_for_function("document.querySelector('.fq-me img').naturalWidth === 120")
    page.set_input_files(".fq-file", str(tmp_path / "invoice.png"))
    page.locator(".fq-note", has_text="文件未能发送").wait_for()
    page.screenshot(path=str(ARTEFACTS / "widget-photo.png"))
    page.reload()
    page.locator(".fq-me img").wait_for()  # the photo comes back with the conversation
    assert page.evaluate("window.pwned") is None
    context.close()


def test_the_agent_sees_the_customers_photo_in_the_workspace(browser, server):
    with httpx.Client(base_url=server) as api:
        sign_in(api, "qian", status="online")  # someone to hand off to, whichever test ran first
    context = browser.new_context()
    customer = context.new_page()
    customer.goto(server + "/")
    customer.click(".fq-launch")
    customer.locator(".fq-opt").first.wait_for()
    customer.fill(".fq-form input", "转人工")
    customer.press(".fq-form input", "Enter")
    customer.locator(".fq-note", has_text="前面还有").wait_for()
    session = customer.evaluate("localStorage.getItem('faqbot-session')")
    with httpx.Client(base_url=server) as api:
        qian = sign_in(api, "qian", status="online")
        waiting = [h for hs in api.get("/api/agent/queue", headers=qian).json()["groups"].values() for h in hs]
        handoff = next(h["id"] for h in waiting if h["session_id"] == session)
        api.post(f"/api/agent/handoffs/{handoff}/accept", headers=qian)
    agent_context, agent = browser_sign_in(browser, server + "/agent", "qian")
    agent.locator(f"[data-mine='{handoff}']").click()
    agent.locator("#log .msg.customer", has_text="转人工").wait_for()
    customer.set_input_files(".fq-file", files=[{"name": "damaged.jpg", "mimeType": "image/jpeg",
                                                  "buffer": photo((120, 80))}])
    customer.locator(".fq-me img").wait_for()
    agent.locator("#log img.attachment").wait_for()
    agent.wait_for_function("document.querySelector('#log img.attachment').naturalWidth === 120")
    agent.screenshot(path=str(ARTEFACTS / "agent-sees-photo.png"))
    agent_context.close()
    context.close()

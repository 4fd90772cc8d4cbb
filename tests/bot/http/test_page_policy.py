"""The pages' content security policy (issue 24, finding 14), as an attacker who got markup or script into a
page would test it in real Chromium: an injected inline script does not run, a socket to any other host
is refused; the workspace's own socket and scripts still work."""
import pytest
from fastapi.testclient import TestClient

from bot.config import HandoffConfig
from bot.http.app import create_app
from bot.store import ConversationStore
from tests.browser import serving
from tests.conftest import add_staff, browser_sign_in

BLOCKED_SOCKET = """() => new Promise(done => {
  document.addEventListener("securitypolicyviolation", e => done(e.blockedURI), {once: true});
  try { new WebSocket("ws://127.0.0.2:9/steal"); } catch (e) { done("refused: " + e.name); }
  setTimeout(() => done("allowed"), 3000);
})"""
INLINE_SCRIPT = """() => { const s = document.createElement("script"); s.textContent = "window.__injected = 1";
  document.body.appendChild(s); return window.__injected === 1; }"""


@pytest.fixture(scope="module")
def app(demo_bot):
    app = create_app(demo_bot, ConversationStore(), handoff=HandoffConfig())
    add_staff(app, ("wang", "agent"))
    return app


def test_the_policy_names_the_servers_own_socket_origin_and_no_inline_script(app):
    policy = TestClient(app).get("/agent").headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["connect-src"].split() == ["'self'", "ws://testserver", "wss://testserver"]
    assert directives["script-src"] == "'self'"
    odd = TestClient(app).get("/agent", headers={"Host": "evil.example wss://x"}).headers["content-security-policy"]
    assert "evil" not in odd and "wss:" not in odd  # a Host header cannot widen the policy


def test_injected_script_and_foreign_sockets_are_refused_in_the_workspace(browser, app):
    with serving(app) as url:
        context, page = browser_sign_in(browser, url + "/agent", "wang")
        try:
            page.locator("#me", has_text="wang").wait_for()  # its own scripts and socket work
            assert page.evaluate(INLINE_SCRIPT) is False
            outcome = page.evaluate(BLOCKED_SOCKET)
            assert outcome != "allowed" and ("127.0.0.2" in outcome or outcome.startswith("refused")), outcome
        finally:
            context.close()

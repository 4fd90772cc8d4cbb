"""Every agent, supervisor, trainer and admin endpoint needs a signed-in user of the right role;
tokens expire; passwords are stored as scrypt hashes."""
import re
import time

import pytest
from fastapi.testclient import TestClient

from tests.conftest import password_of, sign_in, started_workbench, workbench_app

PUBLIC = {"/api/agent/login"}
SIGNED = ("/api/integrations/",)  # a help desk proves itself with the webhook signature, not a user


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("acl")
    bench, bot = started_workbench(str(folder / "a.sqlite3"), folder)
    return workbench_app(bench, bot, ("ag", "agent"), ("tr", "trainer"), ("su", "supervisor"), ("ad", "admin"))


def _routes(app, prefix):
    """Every (method, path) the API documents under ``prefix``, with 1 for path parameters."""
    for path, operations in app.openapi()["paths"].items():
        if path.startswith(prefix) and path not in PUBLIC and not path.startswith(SIGNED):
            for method in operations:
                yield method.upper(), re.sub(r"\{[^}]+\}", "1", path)


def test_every_staff_endpoint_refuses_anonymous_callers(app):
    client = TestClient(app)
    routes = list(_routes(app, "/api/agent")) + list(_routes(app, "/api/trainer")) + [("GET", "/api/report")] \
        + list(_routes(app, "/api/supervisor")) + list(_routes(app, "/api/qa"))
    assert len(routes) > 50
    for method, path in routes:
        assert client.request(method, path).status_code == 401, (method, path)
        assert client.request(method, path, headers={"Authorization": "Bearer forged"}).status_code == 401


def test_each_role_reaches_only_its_own_pages(app):
    client = TestClient(app)
    agent, trainer, supervisor = sign_in(client, "ag"), sign_in(client, "tr"), sign_in(client, "su")
    for method, path in _routes(app, "/api/trainer"):
        assert client.request(method, path, headers=agent).status_code == 403, (method, path)
        assert client.request(method, path, headers=supervisor).status_code == 403, (method, path)
    for method, path in _routes(app, "/api/agent"):
        assert client.request(method, path, headers=trainer).status_code == 403, (method, path)
    assert client.get("/api/report", headers=agent).status_code == 403
    for method, path in _routes(app, "/api/supervisor"):  # the console and the dashboard: supervisors and admins
        assert client.request(method, path, headers=agent).status_code == 403, (method, path)
        assert client.request(method, path, headers=trainer).status_code == 403, (method, path)
    for method, path in _routes(app, "/api/qa"):  # quality: reviewers; agents only read and appeal their own
        if not path.startswith(("/api/qa/reviews", "/api/qa/me")) or path.endswith(("appeal-decision", "suggestion")):
            assert client.request(method, path, headers=agent).status_code == 403, (method, path)
        assert client.request(method, path, headers=trainer).status_code == 403, (method, path)
    admin = sign_in(client, "ad")
    assert client.get("/api/trainer/entries", headers=admin).status_code == 200
    assert client.get("/api/report", headers=admin).status_code == 200


def test_tokens_expire_and_passwords_are_stored_hashed(app, monkeypatch):
    client = TestClient(app)
    headers = sign_in(client, "ag")
    assert client.get("/api/agent/me", headers=headers).status_code == 200
    later = time.time() + 13 * 3600  # tokens live 12 hours
    monkeypatch.setattr(time, "time", lambda: later)
    assert client.get("/api/agent/me", headers=headers).status_code == 401
    stored = [a for a in app.state.conversations.desk.store.engine.connect().exec_driver_sql(
        "SELECT password_hash FROM agents WHERE username = 'ag'")][0][0]
    assert stored.startswith("scrypt$") and password_of("ag") not in stored


def test_no_page_authenticates_with_cookies_so_there_is_nothing_to_forge_cross_site(app):
    client = TestClient(app)
    login = client.post("/api/agent/login", json={"username": "ad", "password": password_of("ad")})
    first = client.post("/api/messages", json={"session_id": "csrf", "text": "你好"})
    assert "set-cookie" not in login.headers and "set-cookie" not in first.headers
    assert client.get("/api/trainer/entries").status_code == 401  # the browser's cookies alone open nothing


def test_metrics_are_for_supervisors_admins_and_the_configured_scrapers(app, demo_bot):
    """Issue 24, finding 14: queue lengths and agents online tell an outsider when nobody is watching."""
    from bot.config import ServerConfig
    from bot.http.app import create_app
    from bot.store import ConversationStore

    client = TestClient(app)
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer forged"}).status_code == 401
    for role, status in (("ag", 403), ("tr", 403), ("su", 200), ("ad", 200)):
        assert client.get("/metrics", headers=sign_in(client, role)).status_code == status, role
    assert "faqbot_queue_length" in client.get("/metrics", headers=sign_in(client, "su")).text
    scraped = create_app(demo_bot, ConversationStore(), ServerConfig(metrics_addresses=("10.0.0.9",)))
    assert TestClient(scraped, client=("10.0.0.9", 5000)).get("/metrics").status_code == 200
    assert TestClient(scraped, client=("10.0.0.10", 5000)).get("/metrics").status_code == 401

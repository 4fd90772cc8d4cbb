"""Password guessing is slowed per account and address, and never locks the real agent out (issue 24,
finding 10) — as an attacker tries it, on SQLite and PostgreSQL."""
import pytest
from fastapi.testclient import TestClient

from bot.http.app import create_app
from bot.store import ConversationStore
from handoff.sign_in_guard import ACCOUNT_FREE_FAILURES, FREE_FAILURES, MAX_WAIT_SECONDS, SignInGuard
from tests.conftest import add_staff, password_of

AGENT_DESK = "10.1.1.7"


@pytest.fixture
def app(demo_bot, fresh_store_url):
    app = create_app(demo_bot, ConversationStore(fresh_store_url))
    add_staff(app, ("wang", "agent"))
    return app


def from_address(app, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000))


def login(client: TestClient, password: str):
    return client.post("/api/agent/login", json={"username": "wang", "password": password})


def test_an_attacker_rotating_addresses_does_not_lock_the_agent_out(app):
    desk = from_address(app, AGENT_DESK)
    assert login(desk, password_of("wang")).status_code == 200  # the agent's usual address
    refused = []
    for n in range(ACCOUNT_FREE_FAILURES + 10):  # each address guesses twice: under any per-address limit
        attacker = from_address(app, f"203.0.113.{n}")
        refused += [login(attacker, f"guess-{n}-{i}").status_code for i in range(2)]
    assert refused[:ACCOUNT_FREE_FAILURES] == [401] * ACCOUNT_FREE_FAILURES
    assert 429 in refused  # the guessing slowed down across addresses
    fresh = login(from_address(app, "198.51.100.9"), "one-more-guess")
    assert fresh.status_code == 429 and int(fresh.headers["Retry-After"]) >= 1
    assert login(desk, password_of("wang")).status_code == 200  # while the agent still signs in at their desk


def test_guessing_from_one_address_waits_longer_each_time_but_other_addresses_are_unaffected(app):
    attacker = from_address(app, "203.0.113.50")
    codes = [login(attacker, f"guess{n}").status_code for n in range(FREE_FAILURES + 1)]
    assert codes == [401] * (FREE_FAILURES + 1)
    blocked = login(attacker, password_of("wang"))  # even the right password waits: no oracle
    assert blocked.status_code == 429 and "try again in" in blocked.json()["detail"]
    assert 1 <= int(blocked.headers["Retry-After"]) <= 2
    assert login(from_address(app, "198.51.100.1"), password_of("wang")).status_code == 200  # not locked


def test_the_wait_doubles_per_failure_up_to_a_cap_and_a_success_clears_it(fresh_store_url):
    now = [1000.0]
    guard = SignInGuard(ConversationStore(fresh_store_url), clock=lambda: now[0])
    waits = []
    for _ in range(FREE_FAILURES + 12):
        assert guard.wait_seconds("wang", "a") == 0  # the clock moved past every wait
        guard.failed("wang", "a")
        waits.append(guard.wait_seconds("wang", "a"))
        now[0] += waits[-1] + 1
    assert waits[:FREE_FAILURES] == [0] * FREE_FAILURES
    assert waits[FREE_FAILURES:FREE_FAILURES + 4] == [2, 4, 8, 16]
    assert max(waits) == MAX_WAIT_SECONDS
    assert guard.wait_seconds("wang", "b") == 0  # another address, under the account's count: not slowed
    guard.succeeded("wang", "a")
    guard.failed("wang", "a")
    assert guard.wait_seconds("wang", "a") == 0  # its count started again


def test_the_table_holds_no_address_or_username(fresh_store_url):
    from sqlalchemy import select

    from bot.store import sign_in_attempts

    store = ConversationStore(fresh_store_url)
    SignInGuard(store).failed("wang", "203.0.113.77")
    with store.reading() as conn:
        rows = [tuple(r) for r in conn.execute(select(sign_in_attempts))]
    assert rows and not any("203.0.113.77" in str(r) or "wang" in str(r) for r in rows)

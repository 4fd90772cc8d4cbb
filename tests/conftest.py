"""Shared fixtures and helpers, each written once: the demo bot (trained once per session and cached
between runs), databases, Redis namespaces, workbenches, staff sign-in, waiting on a condition."""
from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "knowledge_base" / "demo"
os.environ.setdefault("FAQBOT_CACHE", str(ROOT / ".cache" / "test"))


REDIS_URL = "redis://127.0.0.1:6379/0"

# The scale-out store runs against the real server (this machine kind runs one); never mocked or skipped.
PG_URL = os.environ.get("FAQBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def postgres_schema():
    """A new schema in the real PostgreSQL, dropped afterwards; yields its database URL."""
    import psycopg

    schema = f"faqbot_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:  # a new connection: a test may have restarted the server meanwhile
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


@contextmanager
def _database(kind: str, tmp_path_factory):
    if kind == "sqlite":
        yield str(tmp_path_factory.mktemp("db") / "faqbot.sqlite3")
        return
    with postgres_schema() as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def store_url(request, tmp_path_factory):
    """A database per test module: a SQLite file, or a new schema in the real PostgreSQL. Tests that
    share it use their own session ids and never count what others wrote; tests that count use ``fresh_store_url``."""
    with _database(request.param, tmp_path_factory) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_store_url(request, tmp_path_factory):
    """An empty database for one test (for tests that count rows, reports, surveys)."""
    with _database(request.param, tmp_path_factory) as url:
        yield url


def wait_until(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.05,
               ignoring: tuple = ()) -> Any:
    """Poll ``condition`` until it returns something true (returned) or fail naming ``what`` after ``timeout`` s.
    Exceptions of the ``ignoring`` types count as "not yet"."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            value = condition()
            if value:
                return value
            last = value
        except ignoring as exc:
            last = exc
        if time.monotonic() >= deadline:
            raise AssertionError(f"not within {timeout} s: {what} (last: {last!r})")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def password_of(username: str) -> str:
    """The password every staff account a test makes has (see ``add_staff``)."""
    return f"{username}-password"


def add_staff(app, *people: tuple) -> None:
    """Staff accounts on ``app``'s desk: (username, role[, groups[, display name]]); password ``password_of``."""
    desk = app.state.conversations.desk
    for username, role, *rest in people:
        groups = rest[0] if rest else ["general"]
        name = rest[1] if len(rest) > 1 else username
        desk.add_agent(username, password_of(username), name, role, list(groups))


def sign_in(client, username: str, password: str = None, status: str = None) -> dict:
    """Authorization headers of a signed-in staff member (``client``: TestClient or httpx.Client);
    with ``status`` (online/away) the agent's status is set too."""
    login = client.post("/api/agent/login", json={"username": username, "password": password or password_of(username)})
    assert login.status_code == 200, login.text
    headers = {"Authorization": "Bearer " + login.json()["token"]}
    if status:
        assert client.post("/api/agent/status", json={"status": status}, headers=headers).status_code == 200
    return headers


def browser_sign_in(browser, url: str, username: str, password: str = None):
    """A fresh browser context (own storage) on a page with a sign-in form, signed in: (context, page)."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(url)
    page.fill("#username", username)
    page.fill("#password", password or password_of(username))
    page.click("#login button")
    return context, page


def demo_queries() -> list:
    """The demo shop's labelled test queries (knowledge_base/demo/queries.jsonl) as dicts."""
    return [json.loads(line) for line in (DEMO / "queries.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]


class Customer:
    """One customer of a TestClient/httpx client: keeps the conversation's token as the widget does."""

    def __init__(self, client, session: str):
        self.client, self.session, self.token = client, session, None

    @property
    def owned(self) -> dict:
        return {"X-Session-Token": self.token} if self.token else {}

    def say(self, text: str, **extra) -> dict:
        reply = self.client.post("/api/messages", json=dict(session_id=self.session, text=text, **extra),
                                 headers=self.owned)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        self.token = body.get("session_token", self.token)
        return body

    def history(self) -> list:
        return self.client.get(f"/api/sessions/{self.session}/messages", headers=self.owned).json()

    def rate(self, survey: int, csat: int, **extra):
        return self.client.post(f"/api/surveys/{survey}", json=dict(session_id=self.session, csat=csat, **extra),
                                headers=self.owned)


@dataclass
class Said:
    """One customer message sent over HTTP and what came of it."""
    at: float  # time.monotonic() when the answer (or the error) came
    session: str
    text: str
    status: int  # 0: no HTTP answer at all (the server was away)
    reply: Optional[dict] = None  # the body of a 200
    error: str = ""

    @property
    def acknowledged(self) -> bool:
        return self.status == 200


def say(client, session: str, text: str, tokens: Optional[dict] = None) -> Said:
    """A customer message through ``client`` (TestClient or httpx.Client) that never raises: the session's
    token is taken from ``tokens`` and kept there, as the widget keeps it."""
    import httpx

    tokens = {} if tokens is None else tokens
    try:
        response = client.post("/api/messages", json={"session_id": session, "text": text},
                               headers={"X-Session-Token": tokens[session]} if session in tokens else {})
    except httpx.HTTPError as exc:
        return Said(time.monotonic(), session, text, 0, error=f"{type(exc).__name__}: {exc}")
    said = Said(time.monotonic(), session, text, response.status_code)
    if said.acknowledged:
        said.reply = response.json()
        tokens[session] = said.reply["session_token"]
    return said


class Crowd:
    """Customers chatting with a live server from ``threads`` background threads while the ``with`` block
    runs: thread ``n`` sends ``script(n, i)`` — a (session, text) — for i = 0, 1, … up to ``limit``; every
    outcome is appended to ``said``. With ``stop_on_error`` a thread stops at its first message without an
    HTTP answer (the server is gone); otherwise it records the error and goes on."""

    def __init__(self, base_url: str, script: Callable[[int, int], Tuple[str, str]], threads: int = 3,
                 stop_on_error: bool = False, limit: int = 10_000, timeout: float = 60):
        self.base_url, self.script, self.stop_on_error, self.limit = base_url, script, stop_on_error, limit
        self.timeout = timeout
        self.said: list = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._chat, args=(n,), daemon=True) for n in range(threads)]

    def __enter__(self) -> "Crowd":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(self.timeout + 5)

    def acknowledged(self) -> list:
        return [s for s in self.said if s.acknowledged]

    def wait_for(self, count: int, timeout: float, what: str = "") -> None:
        """Wait until ``count`` messages have had an answer (or an error); fail after ``timeout`` s."""
        wait_until(lambda: len(self.said) >= count, timeout, what or f"{count} customer messages answered")

    def _chat(self, n: int) -> None:
        import httpx

        tokens: dict = {}
        with httpx.Client(base_url=self.base_url, timeout=self.timeout) as client:
            for i in range(self.limit):
                if self._stop.is_set():
                    return
                said = say(client, *self.script(n, i), tokens)
                self.said.append(said)
                if said.status == 0 and self.stop_on_error:
                    return


@contextmanager
def redis_namespace():
    """A Redis namespace of its own (server.redis_prefix) for a server a test starts: its channels and
    rate-limit counters never reach another test's servers; its keys are deleted afterwards."""
    import redis

    prefix = f"faqbot-test-{uuid.uuid4().hex[:10]}:"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
        try:
            keys = list(client.scan_iter(prefix + "*"))
            if keys:
                client.delete(*keys)
        except redis.RedisError:
            pass  # a test restarted Redis meanwhile: the counters expire within two minutes anyway
        finally:
            client.close()


@pytest.fixture
def redis_prefix():
    with redis_namespace() as prefix:
        yield prefix


def started_workbench(store_url: str, folder: Path, kb: Path = None, config: Path = ROOT / "config.yml",
                      **overrides):
    """(workbench, bot): a trainers' workbench on ``store_url`` with versions in ``folder``, whose version 1
    (``kb``, default the demo shop) is published and live, as ``faqbot serve`` starts it. ``overrides``:
    dotted config keys with ``__`` for the dot, e.g. ``curation__reload_seconds=0.2``."""
    from bot.config import load_config
    from bot.store import ConversationStore
    from knowledge_base import load_kb
    from training.workbench import Workbench

    settings = {"curation.versions_dir": str(folder / "versions")}
    settings.update({k.replace("__", "."): v for k, v in overrides.items()})
    bench = Workbench(ConversationStore(store_url), load_config(config, settings))
    bot = bench.start(load_kb(kb or DEMO / "kb.yml"), actor="setup")
    return bench, bot


def at_once(*calls, timeout: float = 600) -> list:
    """Run ``calls`` in threads released together (a barrier); their results (or exceptions), in order."""
    start, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(i, call):
        start.wait()
        try:
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 — the test reports it
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results


def back_to_version_one(bench) -> None:
    """Undo what a test did to a started workbench: version 1 live again and the draft its copy."""
    if bench.publisher.live() != 1:
        bench.publisher.rollback(1, "reset")
    if bench.draft.knowledge_base().content_hash() != bench.publisher.snapshot(1).content_hash():
        bench.publisher.restore_draft(1, "reset")


def move_similar(bench, source: str, target: str, actor: str = "alice") -> list:
    """A harmful edit (issue 19): every similar question of entry ``source`` moved to entry ``target``."""
    entry = bench.draft.entry(source)
    moved = list(entry["similar"])
    bench.draft.save(dict({k: v for k, v in entry.items() if not k.startswith("_")}, similar=[]), actor,
                     entry["_revision"])
    bench.draft.add_similar(target, moved, actor)
    return moved


def workbench_app(bench, bot, *staff: tuple):
    """The server ``faqbot serve`` builds around ``bench`` (serving ``bot``), with ``staff`` (see add_staff)."""
    from bot.http.app import create_app

    config = bench.config
    app = create_app(bot, bench.store, config.server, config.handoff, bench, bench.publisher.live())
    add_staff(app, *staff)
    return app


@pytest.fixture(scope="session")
def demo_config():
    from bot.config import load_config

    return load_config(ROOT / "config.yml")


@pytest.fixture(scope="session")
def demo_bot(demo_config):
    from training.model_cache import train_cached

    bot, _ = train_cached(DEMO / "kb.yml", demo_config, show_progress=False)
    return bot


@pytest.fixture(scope="module")
def browser():
    """Real headless Chromium (see tests/browser.py); fails with the reason when it cannot be had."""
    from tests.browser import chromium

    with chromium() as b:
        yield b


@pytest.fixture
def write(tmp_path):
    """Write a text file into tmp_path and return its path."""
    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write


MINI_KB = """\
entries:
  - {id: refund, question: 退款多久到账, similar: [钱什么时候退回来, 退款进度怎么查, 退的钱还没到], answer: 1-7个工作日原路退回。}
  - {id: return, question: 怎么申请退货, similar: [我要退货, 东西不想要了怎么退, 退货流程], answer: 在订单页申请退货。}
  - {id: invoice, question: 怎么开发票, similar: [能开发票吗, 发票在哪里开, 我要开票], answer: 在订单详情申请发票。}
  - {id: fee, question: 运费怎么算, similar: [运费多少, 邮费多少钱, 要不要运费], answer: 满99包邮。}
  - {id: password, question: 忘记密码怎么办, similar: [密码忘了, 怎么找回密码, 重置密码], answer: 点击忘记密码找回。}
  - {id: address, question: 怎么修改收货地址, similar: [地址填错了, 改地址, 收货地址能改吗], answer: 发货前可在订单页修改。}
  - {id: cancel, question: 怎么取消订单, similar: [订单不想要了, 取消订单, 下错单了], answer: 未发货订单可直接取消。}
  - {id: coupon, question: 优惠券怎么用, similar: [券怎么用, 优惠券在哪用, 怎么使用优惠券], answer: 结算时自动抵扣。}
  - {id: install, question: 怎么预约上门安装, similar: [空调怎么装, 预约安装, 安装师傅什么时候来], answer: 在服务页预约。}
  - {id: hotline, question: 客服电话是多少, similar: [你们电话多少, 热线电话, 怎么打电话给客服], answer: 400-600-1234}
  - {id: points, question: 积分怎么用, similar: [积分有什么用, 积分能抵钱吗, 怎么用积分], answer: 100积分抵1元。}
  - {id: complaint, question: 我要投诉, similar: [投诉快递员, 怎么投诉你们, 我要举报], answer: 正在为您转接投诉专员。, handoff: true}
"""


@pytest.fixture
def mini_kb(tmp_path):
    path = tmp_path / "mini.yml"
    path.write_text(MINI_KB, encoding="utf-8")
    return path

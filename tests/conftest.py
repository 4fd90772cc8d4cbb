"""Shared fixtures: the demo bot is trained once per test session (and cached between runs)."""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "knowledge_base" / "demo"
os.environ.setdefault("FAQBOT_CACHE", str(ROOT / ".cache" / "test"))


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


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def store_url(request, tmp_path_factory):
    """A fresh database per test module: a SQLite file, or a new schema in the real PostgreSQL."""
    if request.param == "sqlite":
        yield str(tmp_path_factory.mktemp("db") / "faqbot.sqlite3")
        return
    with postgres_schema() as url:
        yield url


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
    """Real headless Chromium (see tests/browser.py)."""
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

"""Shared fixtures: the demo bot is trained once per test session (and cached between runs)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "knowledge_base" / "demo"
os.environ.setdefault("FAQBOT_CACHE", str(ROOT / ".cache" / "test"))


@pytest.fixture(scope="session")
def demo_config():
    from bot.config import load_config

    return load_config(ROOT / "config.yml")


@pytest.fixture(scope="session")
def demo_bot(demo_config):
    from evals.runner import train_cached

    bot, _ = train_cached(DEMO / "kb.yml", demo_config, show_progress=False)
    return bot


@pytest.fixture
def write(tmp_path):
    """Write a text file into tmp_path and return its path."""
    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write

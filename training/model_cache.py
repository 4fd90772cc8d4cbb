"""Trained bots kept by what they were trained on (KB content + config), so the same KB trains once.

The cache is shared by every process on the machine (workers, publishes, `faqbot train`): an entry
is trained and loaded under a file lock of its own, so two processes never write one folder at once
or read one half-written."""
from __future__ import annotations

import fcntl
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

from bot.config import Config
from bot.engine import Bot
from knowledge_base.environment import cache_root
from knowledge_base.loader import load_kb
from training.previous_model import calibration_key
from training.progress import Report
from training.trainer import code_hash, train


def model_cache_dir() -> Path:
    return cache_root() / "models"


def train_cached(kb_path, config: Config, show_progress: bool = True, kb=None, base: Optional[Path] = None,
                 report: Optional[Report] = None):
    """Train into the model cache (keyed by KB + config, and ``base``'s calibration) and load; returns
    (bot, seconds). ``base``: a trained model (the live version's) whose fusion, confidence and thresholds
    are kept while the KB changed little since them (training.previous_model), so the draft and the
    version published from it decide alike wherever the edit did not reach. ``report``: see ``train``."""
    kb = (kb or load_kb(kb_path)).published()
    calibration = calibration_key(base, config, code_hash()) if base is not None else None
    anchored = f"-on-{calibration}" if calibration else ""
    out = model_cache_dir() / f"{kb.content_hash()}-{config.fingerprint()}{anchored}"
    started = time.perf_counter()
    with cache_entry_lock(out):
        train(kb, config, out, show_progress=show_progress, previous=base if calibration else None, report=report)
        bot = Bot.load(out)
    seconds = bot.manifest.get("training", {}).get("train_seconds", round(time.perf_counter() - started, 2))
    return bot, seconds


@contextmanager
def cache_entry_lock(entry: Path):
    """Hold the lock of one cache entry (across processes; released if the holder dies)."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    with open(entry.with_name(entry.name + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

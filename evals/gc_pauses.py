"""Garbage-collection pauses of a serving process, with and without the loaded bot frozen.

    python -m evals.gc_pauses [--messages 2400]

Answers the demo's held-out questions (framed 21 ways, ten per conversation) through the
conversation service in-process, one at a time, on a temporary SQLite store, and reports the
latency p50 / p99 / max and the longest full (generation 2) collection — once as Python leaves it,
once with the objects of the loaded bot frozen (``gc.freeze()``, what `faqbot serve` does).
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FRAMES = ("请问{}", "{}呢", "你好，{}", "{}？谢谢", "我想知道{}", "{}啊", "麻烦问下{}")


def run(messages: int, freeze: bool) -> dict:
    from bot.config import load_config
    from bot.service.conversations import Conversations
    from bot.store import ConversationStore
    from training.model_cache import train_cached

    config = load_config(ROOT / "config.yml")
    bot, _ = train_cached(ROOT / "knowledge_base" / "demo" / "kb.yml", config, show_progress=False)
    conversations = Conversations.build(bot, ConversationStore(tempfile.mkdtemp() + "/gc.sqlite3"), config.handoff)
    if freeze:
        gc.collect()
        gc.freeze()
    questions = [json.loads(line)["text"] for line in (ROOT / "knowledge_base" / "demo" / "queries.jsonl")
                 .read_text(encoding="utf-8").splitlines()]
    texts = [frame.format(q) + end for end in ("", "吗", "哦") for frame in FRAMES for q in questions]
    pauses = []
    gc.callbacks.append(_full_collection_timer(pauses))
    latencies = []
    for n in range(messages):
        started = time.perf_counter()
        conversations.handle(f"gc{n // 10}", texts[n % len(texts)])
        latencies.append((time.perf_counter() - started) * 1000)
    kept = np.array(latencies[100:])  # after warm-up
    return {"frozen": freeze, "p50_ms": round(float(np.percentile(kept, 50)), 2),
            "p99_ms": round(float(np.percentile(kept, 99)), 2), "max_ms": round(float(kept.max()), 2),
            "full_collections": len(pauses), "longest_full_collection_ms": round(max(pauses, default=0.0), 1)}


def _full_collection_timer(pauses: list):
    """A gc callback appending the length of every full (generation 2) collection, in ms, to ``pauses``."""
    started = [0.0]

    def callback(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        elif info["generation"] == 2:
            pauses.append((time.perf_counter() - started[0]) * 1000)

    return callback


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=2400)
    ap.add_argument("--freeze", choices=("yes", "no"), help=argparse.SUPPRESS)  # one run (in a fresh process)
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if args.freeze:
        print(json.dumps(run(args.messages, args.freeze == "yes")))
        return
    for freeze in ("no", "yes"):
        subprocess.run([sys.executable, "-m", "evals.gc_pauses", "--messages", str(args.messages), "--freeze", freeze],
                       cwd=ROOT, check=True)


if __name__ == "__main__":
    main()

"""What transfer rules and emotion scoring add to a reply: `python -m evals.handoff_latency`.

Each demo query is the first message of a fresh conversation, replied to by the bot alone and by
the bot with the default rules and the emotion scorer (which reuses the retrieval's vector).
Prints p50/p95 per message and writes reports/handoff_latency.json.
"""
from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from bot.service.chat import ChatSession
from bot.config import load_config
from training.model_cache import train_cached
from handoff.router import HandoffRouter

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    config = load_config(ROOT / "config.yml")
    bot, _ = train_cached(ROOT / "knowledge_base" / "demo" / "kb.yml", config, show_progress=False)
    texts = [json.loads(line)["text"] for line in
             (ROOT / "knowledge_base" / "demo" / "queries.jsonl").read_text(encoding="utf-8").splitlines()]
    router = HandoffRouter.for_bot(config.handoff, bot)
    result = {}
    for name, rules in (("bot", None), ("bot+rules+emotion", router)):
        times = []
        for text in texts:
            session = ChatSession(bot, "web", rules)
            started = time.perf_counter()
            session.send(text)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        result[name] = {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(times[int(len(times) * 0.95)], 1)}
        print(f"{name:<20} p50 {result[name]['p50_ms']:6.1f} ms   p95 {result[name]['p95_ms']:6.1f} ms")
    out = ROOT / "reports" / "handoff_latency.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()

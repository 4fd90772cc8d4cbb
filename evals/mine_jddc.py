"""Unknown-question mining on real JD.com customer-service sessions (the JDDC sample) against a KB.

    python -m evals.mine_jddc --sessions ../shared/datasets/jddc-sessions-sample/sessions.jsonl \
        --out reports/mining-jddc.json [--kb knowledge_base/demo/kb.yml] [--similarity 0.4] [--top 10]

Every customer turn is replayed through the bot trained on the KB, and the ones it would not answer
are mined, as ``faqbot mine --transcripts`` does. The sample's anonymisation placeholders
([数字x], [订单x], [链接x] …) are blanked first: they are artefacts of the data set, not words.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

from bot.config import load_config
from handoff.session_refs import blank_placeholders
from handoff.transcript import load_transcripts
from training.mining import ADD_SIMILAR, format_table, mine, offline_messages, unanswered

from training.model_cache import train_cached

ROOT = Path(__file__).resolve().parent.parent


def run(sessions: Path, kb: Path, config_path: Path, similarity: float | None, top: int):
    """(report, clusters): counts, settings, seconds per step and the top clusters as JSON."""
    timings = {}
    started = time.perf_counter()
    config = load_config(config_path)
    settings = config.curation.mining
    if similarity is not None:
        settings = dataclasses.replace(settings, cluster_similarity=similarity)
    bot, _ = train_cached(kb, config, show_progress=False)
    timings["load_bot"] = time.perf_counter() - started

    step = time.perf_counter()
    turns = offline_messages(load_transcripts(sessions))
    turns = [dataclasses.replace(m, text=blank_placeholders(m.text)) for m in turns]
    open_ = unanswered(turns, bot)
    timings["replay"] = time.perf_counter() - step

    step = time.perf_counter()
    clusters = mine(open_, bot, settings)
    timings["mine"] = time.perf_counter() - step
    timings["total"] = time.perf_counter() - started
    report = {
        "sessions": str(sessions), "kb": str(kb), "settings": dataclasses.asdict(settings),
        "customer_messages": len(turns), "not_answered": len(open_),
        "unique_texts": len({m.text for m in open_}),
        "clusters": len(clusters), "messages_in_clusters": sum(c.volume for c in clusters),
        "add_similar": sum(c.suggestion.action == ADD_SIMILAR for c in clusters),
        "seconds": {k: round(v, 1) for k, v in timings.items()},
        "top": [c.to_dict() for c in clusters[:top]],
    }
    return report, clusters


def markdown(report: dict, top: int) -> str:
    """The top clusters as a markdown table (for docs/mining.md)."""
    lines = ["| # | volume | sessions | representative questions | suggestion |", "|---|---|---|---|---|"]
    for n, c in enumerate(report["top"][:top], 1):
        s = c["suggestion"]
        what = (f"add to `{s['entry_id']}` ({s['score']:.2f})" if s["action"] == ADD_SIMILAR
                else f"new entry (closest `{s['closest_entry']}` {s['score']:.2f})")
        questions = " · ".join(q.replace("|", "/") for q in c["questions"][:3])
        lines.append(f"| {n} | {c['volume']} | {c['sessions']} | {questions} | {what} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=Path, required=True, help="the JDDC sample's sessions.jsonl")
    ap.add_argument("--kb", type=Path, default=ROOT / "knowledge_base" / "demo" / "kb.yml")
    ap.add_argument("--config", type=Path, default=ROOT / "config.yml")
    ap.add_argument("--similarity", type=float, default=None, help="override curation.mining.cluster_similarity")
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--out", type=Path, default=ROOT / "reports" / "mining-jddc.json")
    args = ap.parse_args()
    report, clusters = run(args.sessions, args.kb, args.config, args.similarity, args.top)
    summary = {k: v for k, v in report.items() if k != "top"}
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    print(format_table(clusters[:args.top]))
    print(markdown(report, args.top))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

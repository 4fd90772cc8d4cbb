"""A Rasa 3.6 assistant with faqbot's component on benchmark sets, measured through Rasa's own parse.

Run with the Rasa environment's python (scripts/rasa_env.sh makes it):

    .venv-rasa/bin/python -m evals.rasa_bench --datasets ../shared/datasets \
        --sets bq-dev-fewshot,clinc150-val --out reports/rasa_bench.json

Set up as ../shared/tools/rasa_anchor.py measured Rasa's default pipeline (REFERENCE.md): every KB
entry is one intent whose examples are its question and similar questions (here ``faq_<n>``, with
the entry id in the intent's ``metadata.faqbot``), ``rasa.model_training.train_nlu`` trains on the
KB, and every query goes through ``Agent.parse_message`` one at a time, timed around that call. The
pipeline is FaqbotClassifier alone with faqbot's default settings; its transfer rules are off, as in
``faqbot eval``, which scores the bot's decision. What a Rasa user's policies see is scored with
faqbot's metric definitions (training/metrics.py — the ones REFERENCE.md used): the ranking is the
intent ranking's FAQ intents, the decision is the intent (``faq_<n>`` answer, ``faqbot_clarify``,
``faqbot_handoff``, ``nlu_fallback``), the clarify options are ``parse_data["faqbot"]["options"]``.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import tempfile
import time
from pathlib import Path

from training.metrics import Outcome, report

PREFIX = "faq_"
DECISION_OF_INTENT = {"faqbot_clarify": "clarify", "faqbot_handoff": "handoff", "nlu_fallback": "fallback"}


def write_assistant(kb_path: Path, workdir: Path, faqbot_config: Path | None) -> dict:
    """config.yml and nlu.yml in ``workdir``; returns intent → entry id."""
    entries = [json.loads(line) for line in kb_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    entry_of = {f"{PREFIX}{n}": e["id"] for n, e in enumerate(entries)}
    lines = ['version: "3.1"', "nlu:"]
    for intent, entry in zip(entry_of, entries):
        examples = dict.fromkeys(" ".join(q.split()) for q in [entry["question"], *entry.get("similar", [])] if q.strip())
        lines += [f"- intent: {intent}", "  metadata:", "    faqbot: " + json.dumps({"id": entry["id"]}, ensure_ascii=False),
                  "  examples: |", *(f"    - {x}" for x in examples)]
    (workdir / "nlu.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = f"\n    config: {json.dumps(str(faqbot_config.resolve()))}" if faqbot_config else ""
    (workdir / "config.yml").write_text(f"""recipe: default.v1
language: zh
assistant_id: faqbot_rasa_bench
pipeline:
  - name: integrations.rasa.FaqbotClassifier
    intents: {PREFIX}
    transfer_rules: false{config}
""", encoding="utf-8")
    return entry_of


def measure(dataset: Path, faqbot_config: Path | None, limit: int = 0) -> dict:
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu

    workdir = Path(tempfile.mkdtemp(prefix=f"rasa_bench_{dataset.name}_"))
    os.environ["RASA_CACHE_DIRECTORY"] = str(workdir / "rasa-cache")  # not .rasa/ in the current folder
    entry_of = write_assistant(dataset / "kb.jsonl", workdir, faqbot_config)
    queries = [json.loads(line) for line in (dataset / "queries.jsonl").read_text(encoding="utf-8").splitlines()
               if line.strip()][: limit or None]
    started = time.perf_counter()
    model = train_nlu(str(workdir / "config.yml"), str(workdir / "nlu.yml"), str(workdir / "models"))
    train_seconds = time.perf_counter() - started
    agent = Agent.load(model)

    async def parse_all():
        await agent.parse_message(queries[0]["text"])  # warm-up, as faqbot eval does
        outcomes = []
        for q in queries:
            t = time.perf_counter()
            parse = await agent.parse_message(q["text"])
            latency = (time.perf_counter() - t) * 1000
            intent = parse["intent"]["name"]
            ranked = [entry_of[r["name"]] for r in parse.get("intent_ranking", []) if r["name"] in entry_of]
            options = [o["id"] for o in parse.get("faqbot", {}).get("options", [])]
            decision = "answer" if intent in entry_of else DECISION_OF_INTENT.get(intent, "fallback")
            outcomes.append(Outcome(q.get("expected_id"), ranked, decision, options, latency, q["text"]))
        return outcomes

    result = report(asyncio.run(parse_all()))
    result.update(system="rasa 3.6.21 + FaqbotClassifier", n_entries=len(entry_of), train_seconds=round(train_seconds, 1))
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", type=Path, required=True)
    ap.add_argument("--sets", default="bq-dev-fewshot,clinc150-val")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--config", type=Path, default=None, help="a faqbot config.yml for the component")
    ap.add_argument("--limit", type=int, default=0, help="only the first N queries (a smoke run)")
    args = ap.parse_args()
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # Rasa logs every parse at debug level by default
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    for name in [s for s in args.sets.split(",") if s]:
        results[name] = measure(args.datasets / name, args.config, args.limit)
        print(f"{name}: {json.dumps(results[name], ensure_ascii=False)}", flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()

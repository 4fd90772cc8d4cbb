"""Does an edit to one entry change only the questions near it? Issue 19's edit on the demo KB.

    python -m evals.stable_training [--kb knowledge_base/demo/kb.yml] [--queries knowledge_base/demo/queries.jsonl]

Trains the demo KB, then the same KB with two similar questions added to the invoice entry
(报销凭证咋弄, 单子给我开一下), and prints how many test-set questions of *other* entries changed
their decision (the target: at most 1 %) and whether any flagship question lost its answer.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from bot.config import Config, load_config
from knowledge_base.entry import KnowledgeBase
from knowledge_base.loader import load_kb
from training import decision_diff
from training.model_cache import train_cached
from training.queries import load_queries

DEMO = Path(__file__).resolve().parent.parent / "knowledge_base" / "demo"
EDITED_ENTRY = "invoice_how"
ADDED = ("报销凭证咋弄", "单子给我开一下")
FLAGSHIP = ("怎么退货", "怎麼退貨", "发漂怎么开", "怎么开发票", "运费怎么算", "多久能到")


def with_similar(kb: KnowledgeBase, entry_id: str, questions: Sequence[str]) -> KnowledgeBase:
    entries = tuple(replace(e, similar=e.similar + tuple(questions)) if e.id == entry_id else e for e in kb)
    return replace(kb, entries=entries)


def measure(kb: KnowledgeBase, config: Config, queries, flagship: Sequence[str] = FLAGSHIP,
            entry_id: str = EDITED_ENTRY, added: Sequence[str] = ADDED) -> dict:
    """Train before and after the edit — the edited draft calibrated on the version before it, as the
    workbench and the publisher train it; the changes on other entries' test questions and on the
    flagship ones."""
    before, _ = train_cached(None, config, False, kb=kb)
    after, _ = train_cached(None, config, False, kb=with_similar(kb, entry_id, added), base=Path(before.folder))
    others = [q for q in queries if q.expected_id != entry_id]
    changes = decision_diff.diff_bots(before, after, others)
    flagship_changes = decision_diff.diff_traffic(before, after, list(flagship))
    changed = [c for c in changes if c.change != "unchanged"]
    return {"other_questions": len(others), "other_changed": len(changed),
            "other_changed_share": round(len(changed) / max(1, len(others)), 4),
            "summary": decision_diff.summary(changes),
            "flagship_lost": [c.text for c in flagship_changes if c.lost_answer],
            "thresholds": [before.manifest["thresholds"], after.manifest["thresholds"]],
            "changed": [c.to_dict() for c in changed]}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=Path, default=DEMO / "kb.yml")
    parser.add_argument("--queries", type=Path, default=DEMO / "queries.jsonl")
    parser.add_argument("--config", type=Path, default=None)
    args = parser.parse_args(argv)
    config = load_config(args.config) if args.config else Config()
    result = measure(load_kb(args.kb), config, load_queries(args.queries))
    print(json.dumps({k: v for k, v in result.items() if k != "changed"}, ensure_ascii=False, indent=1))
    for c in result["changed"]:
        print(f"  {c['text']}  ({c['expected']}): {c['before']['decision']} {c['before']['entry']} → "
              f"{c['after']['decision']} {c['after']['entry']}  [{c['change']}]")


if __name__ == "__main__":
    main()

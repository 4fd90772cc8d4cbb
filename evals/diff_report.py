"""``faqbot diff``'s output: a summary table of how decisions moved from bot A to bot B, then one
line per changed question, and optionally every question as JSON lines."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional, Sequence

from training.decision_diff import QueryChange, changed_only, summary

GATED = ("changed", "fixed", "broken", "lost_answers", "changed_answers", "lost_answer_share",
         "changed_answer_share")


def verdict_text(decision: str, entry: Optional[str]) -> str:
    return f"{decision} {entry}" if entry else decision


def change_line(c: QueryChange) -> str:
    expected = "—" if c.expected is None else c.expected
    effect = f" {c.effect}" if c.effect else ""
    lost = " · lost answer" if c.lost_answer else ""
    return (f"  {c.text}  (expected {expected}): {verdict_text(c.before.decision, c.before.entry)} → "
            f"{verdict_text(c.after.decision, c.after.entry)}  [{c.change}{effect}{lost}]")


def text_report(changes: Sequence[QueryChange], a: str, b: str) -> str:
    s = summary(changes)
    rows = [("questions", s["questions"]), ("unchanged", s["questions"] - s["changed"]), ("changed", s["changed"])]
    rows += [(f"  {name}", n) for name, n in s["by_change"].items()]
    rows += [("fixed (labelled)", s["fixed"]), ("broken (labelled)", s["broken"]),
             ("lost answers", f"{s['lost_answers']} ({s['lost_answer_share']:.1%})"),
             ("changed answers", f"{s['changed_answers']} ({s['changed_answer_share']:.1%})")]
    width = max(len(name) for name, _ in rows)
    lines = [f"A = {a}", f"B = {b}", ""] + [f"{name.ljust(width)}  {value}" for name, value in rows]
    changed = changed_only(changes)
    if changed:
        lines += ["", f"changed questions ({len(changed)}):"] + [change_line(c) for c in changed]
    return "\n".join(lines) + "\n"


def write_jsonl(path: Path, changes: Sequence[QueryChange]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(c.to_dict(), ensure_ascii=False) + "\n" for c in changes), encoding="utf-8")
    return path

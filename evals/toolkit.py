"""The evaluator's entry point: one or several pipelines on labelled queries or by cross-validation,
optionally with the HTML report and a regression gate. ``faqbot eval`` only translates its options
into one ``Evaluation.run`` call.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.config import Config

from evals.calibration import outcome_calibration
from evals.compare import differences, text_table
from evals.cross_validation import cross_validate
from evals.gate import failures
from evals.runner import EvalRun, evaluate


@dataclass
class Evaluation:
    runs: dict[str, EvalRun]  # by configuration name; the first is the baseline of comparisons
    differences: dict[str, dict[str, dict]]
    report: Path | None = None  # report.html, when one was written

    @classmethod
    def run(cls, kb, configs: dict[str, Config], queries=None, cv: int | None = None, tune_on=None,
            report_dir=None, show_progress: bool = True, sessions=None) -> Evaluation:
        if queries is None and cv is None:
            raise ValueError("nothing to evaluate on: give labelled queries (--queries FILE) or --cv K folds")
        if queries is not None and cv is not None:
            raise ValueError("give labelled queries (--queries FILE) or cross-validation (--cv K), not both")
        runs = {}
        for name, config in configs.items():
            run = cross_validate(kb, config, cv, tune_on, show_progress) if cv else \
                evaluate(kb, queries, config, tune_on, show_progress, sessions=sessions)
            run.result["expected_calibration_error"] = outcome_calibration(run.outcomes)["ece"]
            runs[name] = run
        evaluation = cls(runs, differences(runs) if len(runs) > 1 else {})
        if report_dir is not None:
            from evals.report_writer import (
                write_report,  # matplotlib only when a report is asked for
            )

            evaluation.report = write_report(runs, report_dir, evaluation.differences, show_progress=show_progress)
        return evaluation

    def to_json(self) -> dict:
        """One run: the contract's flat JSON (plus cross-validation folds); several: every run and the differences."""
        if len(self.runs) == 1:
            return next(iter(self.runs.values())).result
        return {"baseline": next(iter(self.runs)), "runs": {n: r.result for n, r in self.runs.items()},
                "differences": self.differences}

    def write_predictions(self, path: Path) -> list[Path]:
        """Every query's decision as JSONL (``evals.predictions``); with several runs, one file each."""
        from evals.predictions import write_predictions

        path = Path(path)
        named = len(self.runs) > 1
        return [write_predictions(path.with_name(f"{path.stem}-{Path(name).stem}{path.suffix}") if named else path,
                                  run.queries, run.decided or run.outcomes) for name, run in self.runs.items()]

    def table(self) -> str:
        return text_table({n: r.result for n, r in self.runs.items()}, self.differences)

    def gate(self, under: dict[str, float], over: dict[str, float]) -> list[str]:
        """Broken limits of every run (each run must pass)."""
        named = len(self.runs) > 1
        return [m for name, run in self.runs.items() for m in failures(run.result, under, over, name if named else "")]

"""Rich progress bars for steps that take more than a moment; silent when disabled. A ``report``
callback hears every step anyway (the trainer pages show a draft's training in the background)."""
from __future__ import annotations

from typing import Callable, Optional

Report = Callable[[str, int, int], None]  # (step, done, total)


class Progress:
    def __init__(self, enabled: bool = True, report: Optional[Report] = None):
        self.enabled = enabled
        self.report = report
        self._bar = None

    def __enter__(self) -> "Progress":
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            # stderr: stdout stays clean for JSON (`faqbot ask`, `faqbot eval`).
            self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), console=Console(stderr=True))
            self._bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)

    def task(self, description: str, total: int) -> Callable[[int], None]:
        """A callback that advances a new bar by n (and tells ``report`` how far the step is)."""
        bar = self._bar_task(description, total)
        if self.report is None:
            return bar
        report, done = self.report, 0
        report(description, done, total)

        def advance(n: int) -> None:
            nonlocal done
            bar(n)
            done += n
            report(description, done, total)
        return advance

    def _bar_task(self, description: str, total: int) -> Callable[[int], None]:
        if self._bar is None:
            return lambda n: None
        task_id = self._bar.add_task(description, total=total)
        return lambda n: self._bar.advance(task_id, n)

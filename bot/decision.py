"""answer / clarify / fall back, from calibrated confidences and the configured thresholds."""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Tuple

import numpy as np

# An option must carry at least this share of the top candidate's match probability to be offered.
MIN_OPTION_SHARE = 0.15


@dataclass(frozen=True)
class DecisionPolicy:
    answer_threshold: float
    clarify_threshold: float
    max_options: int = 3

    def decide(self, proba: np.ndarray, answer_conf: float, options_conf: float,
               keyword: bool = False) -> Tuple[str, List[int]]:
        """Decision and the candidate positions it offers (the answer, or the clarify options).

        A bare ``keyword`` ("快递", "refund") that fits several entries is asked about, never guessed:
        the learned confidence has seen questions, not topics, so it cannot know a topic is vague."""
        if len(proba) == 0:
            return "fallback", []
        top = float(proba[0]) or 1e-9
        keep = [i for i in range(min(self.max_options, len(proba))) if proba[i] >= MIN_OPTION_SHARE * top]
        if answer_conf >= self.answer_threshold and not (keyword and len(keep) > 1):
            return "answer", [0]
        if options_conf >= self.clarify_threshold:
            if len(keep) <= 1 and options_conf >= self.answer_threshold:
                return "answer", [0]  # the only plausible option is confidently right: no need to ask
            return "clarify", keep or [0]
        return "fallback", []

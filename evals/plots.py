"""The report's figures as PNG bytes (matplotlib, Agg: no display needed).

Labels are numbers and English words only: matplotlib's bundled fonts have no Chinese glyphs, so
entry names and queries go in the HTML tables, where the browser's fonts render them.
"""
from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np

from training.metrics import Outcome, top1_right

SIZE = (6.4, 4.0)
DPI = 100


def _figure(ncols: int = 1):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, ncols, figsize=(SIZE[0] * ncols, SIZE[1]), dpi=DPI)
    return plt, fig, axes


def _png(plt, fig) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def confidence_histogram(outcomes: Sequence[Outcome], answer_threshold: float) -> bytes:
    """Answer confidence of queries whose top entry is right vs wrong: they should barely overlap."""
    plt, fig, ax = _figure()
    confidence = np.array([o.confidence for o in outcomes])
    right = top1_right(outcomes)
    bins = np.linspace(0, 1, 21)
    ax.hist(confidence[right], bins=bins, alpha=0.6, color="#2a9d8f", label=f"top-1 right ({right.sum()})")
    ax.hist(confidence[~right], bins=bins, alpha=0.6, color="#e76f51", label=f"top-1 wrong or out of scope ({(~right).sum()})")
    ax.axvline(answer_threshold, color="black", linestyle="--", label=f"answer threshold {answer_threshold:.2f}")
    ax.set(xlabel="answer confidence", ylabel="queries", title="Confidence: right vs wrong top-1")
    ax.legend(fontsize=8)
    return _png(plt, fig)


def calibration_curve(calibration: dict) -> bytes:
    """Accuracy per confidence bin against the diagonal; marker size shows how many queries a bin holds."""
    plt, fig, ax = _figure()
    bins = [b for b in calibration["bins"] if b["n"]]
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfectly calibrated")
    sizes = np.array([b["n"] for b in bins], dtype=float)
    ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], color="#264653", marker="o",
            label="this bot")
    ax.scatter([b["confidence"] for b in bins], [b["accuracy"] for b in bins], s=20 + 200 * sizes / sizes.max(),
               color="#264653", alpha=0.4)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="mean answer confidence", ylabel="share with top-1 right",
           title=f"Calibration (expected calibration error {calibration['ece']:.3f})")
    ax.legend(fontsize=8, loc="upper left")
    return _png(plt, fig)


def threshold_sweep(sweeps: dict[str, dict], operating: dict[str, dict]) -> bytes:
    """Left: rates as the answer threshold moves; right: self-service vs wrong answers, operating point starred."""
    plt, fig, (left, right) = _figure(2)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (name, sweep) in enumerate(sweeps.items()):
        color = colors[i % len(colors)]
        points = sweep["points"]
        t = [p["answer_threshold"] for p in points]
        label = f" ({name})" if len(sweeps) > 1 else ""
        left.plot(t, [p["self_service_rate"] for p in points], color=color, label="self-service" + label)
        left.plot(t, [p["wrong_answer_rate"] for p in points], color=color, linestyle="--", label="wrong answers" + label)
        left.axvline(sweep["configured_answer_threshold"], color=color, linestyle=":", linewidth=1)
        right.plot([p["wrong_answer_rate"] for p in points], [p["self_service_rate"] for p in points], color=color,
                   marker=".", label=name)
        point = operating[name]
        right.scatter([point["wrong_answer_rate"]], [point["self_service_rate"]], marker="*", s=250, color=color,
                      edgecolor="black", zorder=3, label=f"configured ({point['wrong_answer_rate']:.3f}, "
                                                         f"{point['self_service_rate']:.3f})")
    left.set(xlabel="answer threshold (dotted: configured)", ylabel="rate", title="Moving the answer threshold",
             xlim=(0, 1.02), ylim=(0, 1))
    right.set(xlabel="wrong-answer rate", ylabel="self-service rate", title="Self-service vs wrong answers", ylim=(0, 1))
    left.legend(fontsize=7)
    right.legend(fontsize=7, loc="lower right")
    return _png(plt, fig)


def top_k_curve(curves: dict[str, Sequence[dict]]) -> bytes:
    """Accuracy when the right entry may be anywhere in the first k: how much clarifying can recover."""
    plt, fig, ax = _figure()
    for name, points in curves.items():
        ax.plot([p["k"] for p in points], [p["accuracy"] for p in points], marker="o", label=name)
    ax.set(xlabel="k", ylabel="share of in-scope queries", title="Top-k accuracy", ylim=(0, 1.02))
    ax.set_xticks(range(1, max(len(p) for p in curves.values()) + 1))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _png(plt, fig)

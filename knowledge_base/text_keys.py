"""Numbers of a text alone — never Python's per-process ``hash`` nor a shared random stream — so
whatever is keyed or drawn per question (cached embeddings, held-out samples, typos, chatter) is the
same in every training and does not move when *another* question is added to the KB."""
from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np

KEY = np.dtype("S20")  # sha1 of the text


def text_key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()


def keys_of(texts: Sequence[str]) -> np.ndarray:
    return np.array([text_key(t) for t in texts], dtype=KEY)


def stable_number(text: str) -> int:
    """A 64-bit number of the text: the same in every process and every training."""
    return int.from_bytes(text_key(text)[:8], "little")


def text_rng(seed: int, text: str, purpose: str = "") -> np.random.Generator:
    """A random stream of its own for one text (and one purpose: typo, reword …)."""
    return np.random.default_rng([seed, stable_number(purpose + "\x00" + text) if purpose else stable_number(text)])


def stable_share(seed: int, text: str, purpose: str) -> float:
    """A number in [0, 1) of the text alone: ``stable_share(…) < 0.3`` picks about 30 % of texts, each on its own."""
    return stable_number(f"{seed}\x00{purpose}\x00{text}") / 2.0 ** 64

"""Scoring at scale: every channel shortlists its best examples, and only their entries are scored.

Scoring every entry exactly costs a (queries × examples) dot product for the dense channel — a
million 384-dimensional ones per message for a million questions. Instead the dense index returns
the ``shortlist`` nearest questions (IVF / HNSW), the centroid index the nearest entries, and each
BM25 channel its ``shortlist`` best entries; the entries of all these are the columns. Their scores:
- BM25 channels: exact for every entry — a query's BM25 scores are summed from the postings of its
  own terms, a few per cent of the work of a dense pass;
- centroid: exact (one dot product per column);
- dense: exact for entries with a question on the dense shortlist (its best question is there
  too); for the others the shortlist's lowest cosine, an upper bound, until ``resolve`` computes
  the exact value — the ranker resolves the entries it looks closer at.
Hidden examples and entries are kept off the shortlists, so they never crowd out the rest.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, TYPE_CHECKING, Tuple

import numpy as np

from knowledge_base.entry_scores import MASKED, EntryScores, Exclusions

if TYPE_CHECKING:  # the retriever calls these with itself
    from knowledge_base.retriever import Retriever


def score_shortlisted(retriever: Retriever, texts: Sequence[str], embeddings: Optional[np.ndarray],
                      hidden: Exclusions) -> EntryScores:
    k, n_entries = retriever.shortlist, retriever.n_entries_
    listed: List[np.ndarray] = []
    if retriever.dense is not None:
        dense_entries, dense_scores, floor = _dense_hits(retriever, embeddings, hidden, k)
        listed += [dense_entries, _nearest_centroids(retriever, embeddings, hidden, k)]
    bm25 = retriever.entry_maxima(list(texts), None, hidden.example, dense=False) if retriever.sparse else {}
    listed += [_best_entries(values, hidden, k) for values in bm25.values()]
    columns = _columns(listed, n_entries, k)
    channels = {name: np.take_along_axis(values, columns, axis=1) for name, values in bm25.items()}
    resolve = None
    if retriever.dense is not None:
        channels["dense"] = _entry_scores(columns, dense_entries, dense_scores, floor, n_entries)
        channels["centroid"] = _centroid_scores(retriever, embeddings, columns, hidden)
        bounded = ~_listed(columns, dense_entries, n_entries)

        def resolve(picked: np.ndarray) -> None:
            _resolve_dense(retriever, embeddings, hidden, columns, channels["dense"], bounded, picked)
    excluded = hidden.entries[columns] | (columns == hidden.entry[:, None])
    return EntryScores({name: channels[name] for name in retriever.channel_names}, columns, excluded, resolve)


def _visible(retriever: Retriever, hidden: Exclusions, rows: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Which example ids (-1: none) a query may see."""
    owners = retriever.owners_[np.maximum(ids, 0)]
    return ((ids >= 0) & (ids != hidden.example[rows]) & (owners != hidden.entry[rows])
            & ~hidden.entries[owners])


def _hidden_examples(retriever: Retriever, hidden: Exclusions, k: int) -> int:
    """How many examples one query may have hidden: a shortlist searches that much further (expired
    entries count up to 10·k questions: a KB with more expired questions gets shorter shortlists)."""
    per_query = (hidden.example >= 0) + np.where(hidden.entry >= 0, retriever.counts_[np.maximum(hidden.entry, 0)], 0)
    return int(per_query.max(initial=0) + min(10 * k, retriever.counts_[hidden.entries].sum()))


def _dense_hits(retriever: Retriever, embeddings: np.ndarray, hidden: Exclusions,
                k: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(entry of each of the k nearest visible questions or -1, their cosines, the lowest cosine per query)."""
    scores, ids = retriever.dense.search(embeddings, k + _hidden_examples(retriever, hidden, k))
    visible = _visible(retriever, hidden, np.arange(len(ids))[:, None], ids)
    order = np.argsort(~visible, axis=1, kind="stable")[:, :k]  # visible hits first, still best first
    ids, scores, visible = (np.take_along_axis(a, order, axis=1) for a in (ids, scores, visible))
    scores = np.where(visible, scores, -np.inf).astype(np.float32)
    floor = np.where(visible.any(axis=1), scores.min(axis=1, where=visible, initial=np.inf), MASKED)
    return np.where(visible, retriever.owners_[np.maximum(ids, 0)], -1), scores, floor.astype(np.float32)


def _best_entries(values: np.ndarray, hidden: Exclusions, k: int) -> np.ndarray:
    """(queries × k): the visible entries scoring best (above 0) in a (queries × entries) array, -1 for none."""
    values = np.where(hidden.entries[None, :], -np.inf, values)
    rows = np.flatnonzero(hidden.entry >= 0)
    values[rows, hidden.entry[rows]] = -np.inf
    top = np.argpartition(-values, k - 1, axis=1)[:, :k] if values.shape[1] > k else np.indices(values.shape)[1]
    return np.where(np.take_along_axis(values, top, axis=1) > 0, top, -1)


def _nearest_centroids(retriever: Retriever, embeddings: np.ndarray, hidden: Exclusions, k: int) -> np.ndarray:
    _, entries = retriever.centroid_index_.search(embeddings, k + 1 + min(10 * k, int(hidden.entries.sum())))
    visible = (entries >= 0) & (entries != hidden.entry[:, None]) & ~hidden.entries[np.maximum(entries, 0)]
    order = np.argsort(~visible, axis=1, kind="stable")[:, :k]
    entries, visible = (np.take_along_axis(a, order, axis=1) for a in (entries, visible))
    return np.where(visible, entries, -1)


def _columns(listed: List[np.ndarray], n_entries: int, minimum: int) -> np.ndarray:
    """Per query the sorted union of the listed entries, padded with other entries to one width."""
    found = np.concatenate(listed, axis=1)
    unions = [np.unique(row[row >= 0]) for row in found]
    width = min(n_entries, max(minimum, max((len(u) for u in unions), default=0)))
    columns = np.empty((len(unions), width), dtype=np.int64)
    for r, union in enumerate(unions):
        fill = np.setdiff1d(np.arange(min(n_entries, width + len(union))), union)[: width - len(union)]
        columns[r] = np.sort(np.concatenate([union, fill]))
    return columns


def _column_positions(columns: np.ndarray, rows: np.ndarray, entries: np.ndarray,
                      n_entries: int) -> Tuple[np.ndarray, np.ndarray]:
    """(flat position in ``columns``, found) of each (query row, entry) pair."""
    keys = (np.arange(len(columns))[:, None] * n_entries + columns).ravel()  # sorted: rows, then entries
    wanted = rows * n_entries + entries
    at = np.searchsorted(keys, wanted).clip(max=len(keys) - 1)
    return at, keys[at] == wanted


def _entry_scores(columns: np.ndarray, entries: np.ndarray, scores: np.ndarray, floor: np.ndarray,
                  n_entries: int) -> np.ndarray:
    """(queries × columns): the best hit of each column's entry, else the floor."""
    values = np.repeat(floor[:, None], columns.shape[1], axis=1).astype(np.float32)
    rows, places = np.nonzero(entries >= 0)
    at, found = _column_positions(columns, rows, entries[rows, places], n_entries)
    np.maximum.at(values.reshape(-1), at[found], scores[rows, places][found])
    return values


def _listed(columns: np.ndarray, entries: np.ndarray, n_entries: int) -> np.ndarray:
    """(queries × columns): whether the column's entry is among its query's listed entries."""
    rows, places = np.nonzero(entries >= 0)
    at, found = _column_positions(columns, rows, entries[rows, places], n_entries)
    listed = np.zeros(columns.size, bool)
    listed[at[found]] = True
    return listed.reshape(columns.shape)


def _centroid_scores(retriever: Retriever, embeddings: np.ndarray, columns: np.ndarray,
                     hidden: Exclusions) -> np.ndarray:
    embeddings = np.asarray(embeddings, np.float32)
    values = np.stack([retriever.centroids_[entries] @ vector for entries, vector in zip(columns, embeddings)])
    rows = np.flatnonzero(hidden.example >= 0)
    if len(rows):
        owners = retriever.owners_[hidden.example[rows]]
        r, c = np.nonzero(columns[rows] == owners[:, None])
        values[rows[r], c] = retriever.centroid_without(embeddings[rows[r]], hidden.example[rows[r]])
    return values


def _resolve_dense(retriever: Retriever, embeddings: np.ndarray, hidden: Exclusions, columns: np.ndarray,
                   values: np.ndarray, bounded: np.ndarray, picked: np.ndarray) -> None:
    """Replace the upper-bound dense scores at the picked (queries × m) column positions by exact ones."""
    embeddings = np.asarray(embeddings, np.float32)
    for row in range(len(picked)):
        places = picked[row][bounded[row, picked[row]]]
        if not len(places):
            continue
        entries = columns[row, places]
        counts = retriever.counts_[entries]
        first = np.cumsum(counts) - counts
        examples = np.repeat(retriever.starts_[entries] - first, counts) + np.arange(counts.sum())
        cosines = retriever.dense.vectors(examples) @ embeddings[row]
        cosines[examples == hidden.example[row]] = MASKED
        values[row, places] = np.maximum.reduceat(cosines, first)
        bounded[row, places] = False

"""Fusing ranked candidate lists: normalisation, weighted sums, top-k, and the NDCG that tunes
the weights. Pure array functions; no estimator state.

Fusion works on sparse triplets (row, item, contribution), never on dense users × items
arrays, so a batch of users costs in proportion to the candidates, not to the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]

FUSIONS = ("rank", "score")


def normalise(items: IntArray, scores: FloatArray, how: str, rank_constant: float) -> FloatArray:
    """Per list entry, its normalised strength in (0, 1] (0 for padding). "rank": (c + 1) /
    (c + rank), rank 1 the best; "score": the list's scores min-max scaled (a constant list
    is all 1)."""
    real = items >= 0
    if how == "rank":
        rank = np.arange(1, items.shape[1] + 1, dtype=np.float32)[None, :]
        value = (rank_constant + 1.0) / (rank_constant + rank)
        return np.where(real, value, 0.0).astype(np.float32)
    if how != "score":
        raise ValueError(f"fusion must be one of {FUSIONS}")
    usable = real & np.isfinite(scores)
    low = np.min(scores, axis=1, where=usable, initial=np.inf, keepdims=True)
    high = np.max(scores, axis=1, where=usable, initial=-np.inf, keepdims=True)
    spread = high > low
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(spread, (scores - low) / np.where(spread, high - low, 1.0), 1.0)
    return np.where(usable, value, 0.0).astype(np.float32)


@dataclass(frozen=True)
class Fused:
    """One entry per distinct (row, item) that some channel proposed, sorted by key."""

    rows: IntArray
    items: IntArray
    scores: FloatArray  # Σ weight × normalised strength
    sources: IntArray  # the channel with the largest contribution
    n_rows: int
    n_items: int

    @property
    def keys(self) -> IntArray:
        return self.rows * self.n_items + self.items

    def score_of(self, row: int, items: IntArray) -> FloatArray:
        """The fused scores of `items` in `row` (-inf for items nobody proposed)."""
        wanted = row * self.n_items + items
        keys = self.keys
        if len(keys) == 0:
            return np.full(len(items), -np.inf, dtype=np.float32)
        at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        return np.where(keys[at] == wanted, self.scores[at], -np.inf).astype(np.float32)


def fuse(
    strengths: list[tuple[IntArray, FloatArray]],
    weights: npt.ArrayLike,
    n_items: int,
    *,
    banned: IntArray | None = None,
) -> Fused:
    """Weighted sum of the channels' (items, normalised strengths) lists, all with the same
    rows. `banned`: sorted row × n_items + item keys that must not appear."""
    n_rows = strengths[0][0].shape[0] if strengths else 0
    parts: list[tuple[IntArray, IntArray, FloatArray, IntArray]] = []
    for channel, ((items, strength), weight) in enumerate(
        zip(strengths, np.asarray(weights, dtype=np.float32), strict=True)
    ):
        rows, cols = np.nonzero(items >= 0)
        value = weight * strength[rows, cols]
        parts.append((rows, items[rows, cols], value, np.full(len(rows), channel)))
    rows = np.concatenate([p[0] for p in parts]).astype(np.int64)
    items = np.concatenate([p[1] for p in parts]).astype(np.int64)
    values = np.concatenate([p[2] for p in parts]).astype(np.float32)
    channels = np.concatenate([p[3] for p in parts]).astype(np.int64)
    keys = rows * n_items + items
    if banned is not None and len(banned):
        keep = ~np.isin(keys, banned)
        rows, items, values, channels, keys = (
            rows[keep],
            items[keep],
            values[keep],
            channels[keep],
            keys[keep],
        )
    order = np.lexsort((channels, -values, keys))  # by key; strongest contribution first
    keys = keys[order]
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    group = np.cumsum(first) - 1
    totals = np.bincount(group, weights=values[order].astype(np.float64)).astype(np.float32)
    return Fused(
        rows=rows[order][first],
        items=items[order][first],
        scores=totals,
        sources=channels[order][first],
        n_rows=n_rows,
        n_items=n_items,
    )


def top(fused: Fused, k: int) -> tuple[IntArray, FloatArray, IntArray]:
    """Each row's `k` best fused items (ties: lower item first), their scores and sources;
    -1 / -inf / -1 pads."""
    items = np.full((fused.n_rows, k), -1, dtype=np.int64)
    scores = np.full((fused.n_rows, k), -np.inf, dtype=np.float32)
    sources = np.full((fused.n_rows, k), -1, dtype=np.int64)
    if k == 0 or len(fused.rows) == 0:
        return items, scores, sources
    order = np.lexsort((fused.items, -fused.scores, fused.rows))
    rows = fused.rows[order]
    starts = np.searchsorted(rows, np.arange(fused.n_rows))
    rank = np.arange(len(rows)) - starts[rows]
    keep = rank < k
    picked = order[keep]
    items[rows[keep], rank[keep]] = fused.items[picked]
    scores[rows[keep], rank[keep]] = fused.scores[picked]
    sources[rows[keep], rank[keep]] = fused.sources[picked]
    return items, scores, sources


def ndcg(items: IntArray, targets: IntArray, k: int) -> float:
    """Mean NDCG@k of lists with one relevant item per row."""
    if len(targets) == 0:
        return 0.0
    hits = items[:, :k] == targets[:, None]
    rank = np.argmax(hits, axis=1)
    return float(np.where(hits.any(axis=1), 1.0 / np.log2(rank + 2.0), 0.0).mean())

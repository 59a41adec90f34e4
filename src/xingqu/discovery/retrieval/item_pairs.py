"""Item-to-item matrices counted from users' sequences: who follows whom, how closely, how lately.

Both the co-visitation and the transition estimators are built from the same pairs: interaction
i and interaction i + d of the same user (and the same session), weighted by
`distance_decay ** (d - 1)` and by the age of the later interaction.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import sparse

from xingqu.discovery.retrieval.histories import session_ids

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]


def time_weights(times: IntArray, half_life: float | None) -> FloatArray:
    """0.5 ** (age / half_life), age measured from the newest interaction (all 1 without a
    half-life)."""
    if half_life is None or len(times) == 0:
        return np.ones(len(times), dtype=np.float32)
    age = (times.max() - times).astype(np.float64)
    return np.power(0.5, age / half_life).astype(np.float32)


def sequence_pairs(
    indptr: IntArray,
    items: IntArray,
    times: IntArray,
    n_items: int,
    *,
    window: int,
    distance_decay: float,
    session_gap: float | None = None,
    half_life: float | None = None,
) -> sparse.csr_matrix:
    """n_items × n_items, entry [a, b] = Σ over "a, then b within `window` steps in the same
    session" of distance_decay ** (steps - 1) × time weight of b's interaction. Directed:
    transpose for "b, then a"."""
    session = session_ids(indptr, times, session_gap)
    recency = time_weights(times, half_life)
    sources: list[IntArray] = []
    targets: list[IntArray] = []
    weights: list[FloatArray] = []
    for distance in range(1, window + 1):
        if distance >= len(items):
            break
        same = session[:-distance] == session[distance:]
        if not same.any():
            break
        later = np.flatnonzero(same) + distance
        sources.append(items[later - distance])
        targets.append(items[later])
        weights.append(recency[later] * np.float32(distance_decay ** (distance - 1)))
    if not sources:
        return sparse.csr_matrix((n_items, n_items), dtype=np.float32)
    matrix = sparse.csr_matrix(
        (np.concatenate(weights), (np.concatenate(sources), np.concatenate(targets))),
        shape=(n_items, n_items),
        dtype=np.float32,
    )
    matrix.sum_duplicates()
    return matrix


def keep_top_per_row(matrix: sparse.csr_matrix, n: int | None) -> sparse.csr_matrix:
    """The `n` largest entries of each row (ties: lower column first); all when n is None."""
    csr = sparse.csr_matrix(matrix, dtype=np.float32, copy=True)
    csr.eliminate_zeros()
    if n is None or csr.nnz == 0:
        return csr
    rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
    order = np.lexsort((csr.indices, -csr.data, rows))
    rank = np.arange(csr.nnz) - np.repeat(csr.indptr[:-1], np.diff(csr.indptr))
    keep = order[rank < n]
    out = sparse.csr_matrix(
        (csr.data[keep], (rows[keep], csr.indices[keep])), shape=csr.shape, dtype=np.float32
    )
    out.sum_duplicates()
    return out


def row_normalise(
    matrix: sparse.csr_matrix, *, extra: float | FloatArray = 0.0
) -> sparse.csr_matrix:
    """Each row divided by (its sum + extra); empty rows stay empty."""
    csr = sparse.csr_matrix(matrix, dtype=np.float32, copy=True)
    totals = np.asarray(csr.sum(axis=1)).ravel() + extra
    scale = np.divide(1.0, totals, out=np.zeros_like(totals, dtype=np.float64), where=totals > 0)
    return sparse.csr_matrix(sparse.diags(scale.astype(np.float32)) @ csr, dtype=np.float32)


def popularity_distribution(items: IntArray, n_items: int, weights: FloatArray) -> FloatArray:
    """Weighted item frequencies summing to 1 (uniform when there is nothing)."""
    counts = np.bincount(items, weights=weights, minlength=n_items).astype(np.float64)
    total = counts.sum()
    if total <= 0 or math.isnan(total):
        return np.full(n_items, 1.0 / max(1, n_items), dtype=np.float32)
    return (counts / total).astype(np.float32)


def weighted_row_sum(
    matrix: sparse.csr_matrix, rows: IntArray, weights: FloatArray
) -> tuple[IntArray, FloatArray]:
    """Σ weights[i] × matrix[rows[i]] for a handful of rows, as (sorted columns, float32 sums)
    of its non-zero entries, read straight from the CSR arrays (for one request, building a
    sparse query and multiplying costs more than the rows themselves)."""
    starts, ends = matrix.indptr[rows], matrix.indptr[rows + 1]
    if len(rows) == 0 or not (ends > starts).any():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    picked = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends, strict=True)])
    scale = np.repeat(np.asarray(weights, dtype=np.float32), ends - starts)
    cols, inverse = np.unique(matrix.indices[picked], return_inverse=True)
    sums = np.zeros(len(cols), dtype=np.float32)
    np.add.at(sums, inverse, matrix.data[picked].astype(np.float32) * scale)
    return cols.astype(np.int64), sums

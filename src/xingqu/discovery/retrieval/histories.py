"""Users' fitted histories in time order, as CSR-like arrays, and views of their recent items.

Sequence-aware estimators keep `history_indptr_` / `history_items_` (user u's items are
`items[indptr[u]:indptr[u + 1]]`, oldest first) and serve from them; these functions are the
vectorised operations on that layout.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import sparse

from xingqu.discovery.interactions import Interactions

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]


def time_ordered(data: Interactions) -> tuple[IntArray, IntArray, IntArray]:
    """(indptr, items, timestamps) of every user's interactions in time order. Without
    timestamps, the position in the input stands for time."""
    order = data.time_order()
    users = data.user_ids[order]
    items = data.item_ids[order].astype(np.int64)
    if data.timestamps is None:
        times = np.arange(len(order), dtype=np.int64)
    else:
        times = data.timestamps[order].astype(np.int64)
    indptr = np.searchsorted(users, np.arange(data.n_users + 1)).astype(np.int64)
    return indptr, items, times


def session_ids(indptr: IntArray, times: IntArray, gap: float | None) -> IntArray:
    """A session number per interaction: a new session starts with each user and after every
    pause longer than `gap` (one session per user when `gap` is None)."""
    n = len(times)
    starts = np.zeros(n, dtype=bool)
    starts[indptr[:-1][indptr[:-1] < n]] = True
    if gap is not None and n > 1:
        starts[1:] |= np.diff(times) > gap
    return np.cumsum(starts) - 1


def recent_window(
    indptr: IntArray, users: IntArray, last: int
) -> tuple[IntArray, IntArray, IntArray]:
    """For each of `users` (unknown ids have none), the positions of their `last` most recent
    interactions: (row in `users`, index into the history arrays, steps back from the newest)."""
    n_users = len(indptr) - 1
    known = (users >= 0) & (users < n_users)
    ends = np.zeros(len(users), dtype=np.int64)
    ends[known] = indptr[users[known] + 1]
    starts = ends.copy()
    starts[known] = np.maximum(indptr[users[known]], ends[known] - last)
    lengths = ends - starts
    rows = np.repeat(np.arange(len(users)), lengths)
    back = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    back = np.repeat(lengths, lengths) - 1 - back  # 0 for the newest
    index = np.repeat(ends, lengths) - 1 - back
    return rows, index, back


def recent_items(
    indptr: IntArray,
    items: IntArray,
    users: IntArray,
    n_items: int,
    *,
    last: int,
    decay: float,
) -> sparse.csr_matrix:
    """len(users) × n_items: each user's `last` most recent items weighted `decay ** steps_back`
    (an item seen twice adds up)."""
    rows, index, back = recent_window(indptr, users, last)
    weights = np.power(np.float32(decay), back.astype(np.float32)).astype(np.float32)
    matrix = sparse.csr_matrix(
        (weights, (rows, items[index])), shape=(len(users), n_items), dtype=np.float32
    )
    matrix.sum_duplicates()
    return matrix


def history_lengths(indptr: IntArray, users: IntArray) -> IntArray:
    """How many fitted interactions each of `users` has (0 for unknown ids)."""
    n_users = len(indptr) - 1
    known = (users >= 0) & (users < n_users)
    lengths = np.zeros(len(users), dtype=np.int64)
    lengths[known] = indptr[users[known] + 1] - indptr[users[known]]
    return lengths

"""The offline/online interchange format: user–item interactions with dense integer indices.

Every estimator (retrieval channel, ranker) trains on an `Interactions`; dataset loaders
(`discovery/evaluation/`) and the platform's behaviour log both produce one, so the same
code runs on public benchmarks and inside the platform.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import sparse

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Interactions:
    """Parallel arrays, one entry per interaction. Indices are dense: users 0..n_users-1,
    items 0..n_items-1. `timestamps` order interactions within a user (ties keep input order)."""

    user_ids: IntArray
    item_ids: IntArray
    n_users: int
    n_items: int
    timestamps: IntArray | None = None
    weights: FloatArray | None = None
    item_categories: IntArray | None = None  # per item: a category index, -1 when unknown
    user_labels: list[str] | None = field(default=None, repr=False)  # original ids, optional
    item_labels: list[str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        n = len(self.user_ids)
        if len(self.item_ids) != n:
            raise ValueError("user_ids and item_ids must have the same length")
        for name in ("timestamps", "weights"):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                raise ValueError(f"{name} must have one entry per interaction")
        if n and (self.user_ids.min() < 0 or self.user_ids.max() >= self.n_users):
            raise ValueError("user index out of range")
        if n and (self.item_ids.min() < 0 or self.item_ids.max() >= self.n_items):
            raise ValueError("item index out of range")
        if self.item_categories is not None and len(self.item_categories) != self.n_items:
            raise ValueError("item_categories needs one entry per item")

    def __len__(self) -> int:
        return len(self.user_ids)

    def values(self) -> FloatArray:
        return self.weights if self.weights is not None else np.ones(len(self), dtype=np.float32)

    def to_csr(self, *, binary: bool = False) -> sparse.csr_matrix:
        """users × items, duplicate interactions summed (or 1 when `binary`)."""
        matrix = sparse.csr_matrix(
            (self.values().astype(np.float32), (self.user_ids, self.item_ids)),
            shape=(self.n_users, self.n_items),
            dtype=np.float32,
        )
        matrix.sum_duplicates()
        if binary:
            matrix.data[:] = 1.0
        return matrix

    def time_order(self) -> IntArray:
        """Indices that sort interactions by (user, timestamp), stable."""
        if self.timestamps is None:
            return np.argsort(self.user_ids, kind="stable")
        return np.lexsort((self.timestamps, self.user_ids))

    def sequences(self) -> list[IntArray]:
        """Each user's items in time order (empty arrays for users without interactions)."""
        order = self.time_order()
        users = self.user_ids[order]
        items = self.item_ids[order]
        bounds = np.searchsorted(users, np.arange(self.n_users + 1))
        return [items[bounds[u] : bounds[u + 1]] for u in range(self.n_users)]

    def subset(self, mask: npt.NDArray[np.bool_]) -> Interactions:
        """The interactions where `mask` is true, with the same index spaces."""
        return Interactions(
            user_ids=self.user_ids[mask],
            item_ids=self.item_ids[mask],
            n_users=self.n_users,
            n_items=self.n_items,
            timestamps=None if self.timestamps is None else self.timestamps[mask],
            weights=None if self.weights is None else self.weights[mask],
            item_categories=self.item_categories,
            user_labels=self.user_labels,
            item_labels=self.item_labels,
        )

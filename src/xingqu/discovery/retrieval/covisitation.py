"""Item-to-item co-visitation, session-aware, scored from each user's recent items."""

from __future__ import annotations

from typing import Self

import numpy as np

from xingqu.discovery.interactions import Interactions
from xingqu.discovery.retrieval.base import FloatArray, IntArray, Recommender
from xingqu.discovery.retrieval.histories import recent_items, time_ordered
from xingqu.discovery.retrieval.item_pairs import (
    keep_top_per_row,
    popularity_distribution,
    sequence_pairs,
)


class CoVisitationRecommender(Recommender):
    """Two items co-visit when one user interacts with both within `window` steps of the same
    session (a session ends after a pause longer than `session_gap` timestamp units; None: the
    whole history is one session). A co-visit counts distance_decay ** (steps − 1), × 0.5 **
    (age / half_life) when a half-life is given; pairs are counted both ways (the backward
    direction × `backward_weight`). Counts are normalised by (popularity_a × popularity_b) **
    `normalisation` (½: cosine-like; 0: raw counts) and each item keeps its `neighbours`
    strongest partners.

    A user's score for b = Σ over their `history` most recent items h (newest first, step s) of
    recency_decay ** s × C[h, b], plus `popularity_weight` × b's popularity share, which also
    ranks the items with no co-visit and serves users without history.
    """

    def __init__(
        self,
        *,
        window: int = 3,
        session_gap: float | None = None,
        distance_decay: float = 0.5,
        backward_weight: float = 1.0,
        half_life: float | None = None,
        normalisation: float = 0.5,
        neighbours: int | None = 200,
        history: int = 20,
        recency_decay: float = 0.7,
        popularity_weight: float = 1e-3,
    ) -> None:
        self.window = window
        self.session_gap = session_gap
        self.distance_decay = distance_decay
        self.backward_weight = backward_weight
        self.half_life = half_life
        self.normalisation = normalisation
        self.neighbours = neighbours
        self.history = history
        self.recency_decay = recency_decay
        self.popularity_weight = popularity_weight

    def fit(self, data: Interactions) -> Self:
        if self.window < 1 or self.history < 1:
            raise ValueError("window and history must be at least 1")
        indptr, items, times = time_ordered(data)
        forward = sequence_pairs(
            indptr,
            items,
            times,
            data.n_items,
            window=self.window,
            distance_decay=self.distance_decay,
            session_gap=self.session_gap,
            half_life=self.half_life,
        )
        counts = forward + self.backward_weight * forward.T.tocsr()
        counts.setdiag(0.0)
        counts.eliminate_zeros()
        popularity = np.bincount(items, minlength=data.n_items).astype(np.float32)
        if self.normalisation:
            scale = np.power(np.maximum(popularity, 1.0), -self.normalisation)
            counts = counts.multiply(scale[:, None]).multiply(scale[None, :]).tocsr()
        self.neighbours_ = keep_top_per_row(counts, self.neighbours)
        self.popularity_ = popularity_distribution(data.item_ids, data.n_items, data.values())
        self.history_indptr_ = indptr
        self.history_items_ = items
        self.n_users_ = data.n_users
        self.n_items_ = data.n_items
        return self

    def _scores(self, users: IntArray) -> FloatArray:
        recent = recent_items(
            self.history_indptr_,
            self.history_items_,
            users,
            self.n_items_,
            last=self.history,
            decay=self.recency_decay,
        )
        scores = np.asarray((recent @ self.neighbours_).toarray(), dtype=np.float32)
        scores += np.float32(self.popularity_weight) * self.popularity_[None, :]
        return scores

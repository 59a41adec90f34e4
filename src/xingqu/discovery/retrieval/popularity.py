"""The most popular items, optionally with recent interactions counting more."""

from __future__ import annotations

from typing import Self

import numpy as np

from xingqu.discovery.interactions import Interactions
from xingqu.discovery.retrieval.base import FloatArray, IntArray, Recommender
from xingqu.discovery.retrieval.item_pairs import time_weights


class PopularityRecommender(Recommender):
    """Score of an item = Σ of its interactions' weights, each × 0.5 ** (age / half_life) when a
    half-life (in timestamp units) is given; age is measured from the newest interaction.
    `binary` counts each user once per item (at their latest interaction with it)."""

    def __init__(self, *, half_life: float | None = None, binary: bool = False) -> None:
        self.half_life = half_life
        self.binary = binary

    def fit(self, data: Interactions) -> Self:
        if self.half_life is not None and self.half_life <= 0:
            raise ValueError("half_life must be positive")
        weights = (
            np.ones(len(data), dtype=np.float64)
            if self.binary
            else data.values().astype(np.float64)
        )
        if self.half_life is not None and data.timestamps is not None:
            weights = weights * time_weights(data.timestamps.astype(np.int64), self.half_life)
        if self.binary and len(data):  # each (user, item) once, at its most recent weight
            pair = data.user_ids.astype(np.int64) * data.n_items + data.item_ids
            order = np.lexsort((-weights, pair))
            first = np.ones(len(order), dtype=bool)
            first[1:] = pair[order][1:] != pair[order][:-1]
            keep = np.zeros(len(data), dtype=bool)
            keep[order[first]] = True
            weights = np.where(keep, weights, 0.0)
        self.item_scores_ = np.bincount(
            data.item_ids, weights=weights, minlength=data.n_items
        ).astype(np.float32)
        self.n_users_ = data.n_users
        self.n_items_ = data.n_items
        return self

    def _scores(self, users: IntArray) -> FloatArray:
        return np.broadcast_to(self.item_scores_, (len(users), self.n_items_)).copy()

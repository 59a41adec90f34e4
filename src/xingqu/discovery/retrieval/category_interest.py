"""The user's category interests × what is trending inside each category.

A user's interest in category c is the share of their (recency-weighted) interactions that fall
in c; an item's standing inside its category is its share of the category's (recency-weighted)
interactions. The score of item j for user u is interest(u, category(j)) × standing(j) ** power,
plus a small global-popularity term that orders everything else. On browsing logs such as
Taobao's, where people look at several items of the same kind in a row, this one product beats
collaborative filtering at predicting the next new item.
"""

from __future__ import annotations

from typing import Self

import numpy as np
from scipy import sparse

from xingqu.discovery.interactions import Interactions
from xingqu.discovery.retrieval.base import FloatArray, IntArray, Recommender, known_users
from xingqu.discovery.retrieval.item_pairs import popularity_distribution, time_weights


class CategoryInterestRecommender(Recommender):
    """Scores = Σ_c interest(u, c) × standing(j | c) ** `power` + `popularity_weight` × pop(j).

    Interactions count 0.5 ** (age / half-life), age measured from the newest interaction of the
    fit data: `user_half_life` for the user's interests (short: what they browse now),
    `item_half_life` for what trends in a category (None: no decay). Uncategorised items and
    users without history get the global popularity term alone. Needs
    `Interactions.item_categories`."""

    def __init__(
        self,
        *,
        user_half_life: float | None = 86_400.0,
        item_half_life: float | None = 259_200.0,
        power: float = 1.0,
        popularity_weight: float = 1e-3,
    ) -> None:
        self.user_half_life = user_half_life
        self.item_half_life = item_half_life
        self.power = power
        self.popularity_weight = popularity_weight

    def fit(self, data: Interactions) -> Self:
        if data.item_categories is None:
            raise ValueError(
                "CategoryInterestRecommender needs item_categories in the Interactions"
            )
        for name in ("user_half_life", "item_half_life"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive (or None)")
        if self.power < 0 or self.popularity_weight < 0:
            raise ValueError("power and popularity_weight must be non-negative")
        categories = np.asarray(data.item_categories, dtype=np.int64)
        n_categories = max(1, int(categories.max()) + 1 if len(categories) else 0)
        times = (
            data.timestamps.astype(np.int64)
            if data.timestamps is not None
            else np.zeros(len(data), dtype=np.int64)
        )
        of_row = categories[data.item_ids]
        known = of_row >= 0
        user_weight = time_weights(times, self.user_half_life)
        interests = sparse.csr_matrix(
            (user_weight[known], (data.user_ids[known], of_row[known])),
            shape=(data.n_users, n_categories),
            dtype=np.float32,
        )
        interests.sum_duplicates()
        totals = np.asarray(interests.sum(axis=1), dtype=np.float64).ravel()
        scale = np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
        self.user_interests_ = sparse.csr_matrix(
            sparse.diags(scale.astype(np.float32)) @ interests, dtype=np.float32
        )
        item_weight = np.bincount(
            data.item_ids, weights=time_weights(times, self.item_half_life), minlength=data.n_items
        )
        categorised = np.flatnonzero(categories >= 0)
        category_total = np.bincount(
            categories[categorised], weights=item_weight[categorised], minlength=n_categories
        )
        standing = np.divide(
            item_weight[categorised],
            category_total[categories[categorised]],
            out=np.zeros(len(categorised)),
            where=category_total[categories[categorised]] > 0,
        )
        self.standing_ = sparse.csr_matrix(
            (
                np.power(standing, self.power).astype(np.float32),
                (categories[categorised], categorised),
            ),
            shape=(n_categories, data.n_items),
            dtype=np.float32,
        )
        self.standing_.eliminate_zeros()
        self.popularity_ = popularity_distribution(data.item_ids, data.n_items, data.values())
        self.n_users_ = data.n_users
        self.n_items_ = data.n_items
        return self

    def _scores(self, users: IntArray) -> FloatArray:
        known = known_users(users, self.n_users_)
        scores = np.zeros((len(users), self.n_items_), dtype=np.float32)
        if known.any():
            product = self.user_interests_[users[known]] @ self.standing_
            scores[known] = product.toarray()
        scores += np.float32(self.popularity_weight) * self.popularity_[None, :]
        return scores

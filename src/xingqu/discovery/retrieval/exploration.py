"""Latent interests: categories a user has never engaged with but that suit them.

Two categories are co-affine when the same users engage with both more often than chance:
normalised pointwise mutual information over users, NPMI(c, d) = log(p(c, d) / (p(c) p(d))) /
−log p(c, d), where p(c) is the share of users with any interaction in c and p(c, d) the share
with both. A user's affinity for a category they have not touched is the NPMI-weighted sum over
the categories they have, by their share of the user's interactions. The channel proposes the
popular items of the few best such categories.
"""

from __future__ import annotations

from typing import Self

import numpy as np
from scipy import sparse

from xingqu.discovery.interactions import Interactions
from xingqu.discovery.retrieval.base import (
    FloatArray,
    IntArray,
    Recommender,
    check_k,
    check_users,
    known_users,
    top_k,
)


class CategoryExplorationChannel(Recommender):
    """Items from the `n_categories` unseen categories with the highest affinity for each user;
    within a category, items score by their popularity relative to the category's most popular
    item, so the channel's list interleaves the chosen categories. Category pairs shared by
    fewer than `min_users` users count as unrelated. Items of categories the user has engaged
    with, of uncategorised items and of categories without positive affinity are never
    returned. Users without history explore the categories most users engage with.

    Needs `Interactions.item_categories`."""

    def __init__(self, *, n_categories: int = 3, min_users: int = 3) -> None:
        self.n_categories = n_categories
        self.min_users = min_users

    def fit(self, data: Interactions) -> Self:
        if data.item_categories is None:
            raise ValueError("CategoryExplorationChannel needs item_categories in the Interactions")
        if self.n_categories < 1 or self.min_users < 1:
            raise ValueError("n_categories and min_users must be at least 1")
        categories = np.asarray(data.item_categories, dtype=np.int64)
        n_categories = int(categories.max()) + 1 if len(categories) else 0
        n_categories = max(n_categories, 1)
        interaction_categories = categories[data.item_ids]
        known = interaction_categories >= 0
        per_user = sparse.csr_matrix(
            (
                np.ones(int(known.sum()), dtype=np.float32),
                (data.user_ids[known], interaction_categories[known]),
            ),
            shape=(data.n_users, n_categories),
            dtype=np.float32,
        )
        per_user.sum_duplicates()
        self.user_categories_ = per_user
        self.affinity_ = category_npmi(per_user, min_users=self.min_users)
        engaged = np.asarray((per_user > 0).sum(axis=0), dtype=np.float32).ravel()
        self.category_reach_ = engaged / max(1, int((per_user.getnnz(axis=1) > 0).sum()))
        self.item_categories_ = categories
        popularity = np.bincount(data.item_ids, minlength=data.n_items).astype(np.float32)
        best = np.zeros(n_categories, dtype=np.float32)
        categorised = categories >= 0
        np.maximum.at(best, categories[categorised], popularity[categorised])
        relative = np.zeros(data.n_items, dtype=np.float32)
        relative[categorised] = np.divide(
            popularity[categorised],
            best[categories[categorised]],
            out=np.zeros(int(categorised.sum()), dtype=np.float32),
            where=best[categories[categorised]] > 0,
        )
        self.item_relative_popularity_ = relative
        self.n_users_ = data.n_users
        self.n_items_ = data.n_items
        return self

    def category_scores(self, users: IntArray) -> FloatArray:
        """len(users) × categories: each user's affinity for each category, -inf for those they
        have engaged with or that have no positive affinity."""
        known = known_users(users, self.n_users_)
        n_categories = self.affinity_.shape[0]
        scores = np.zeros((len(users), n_categories), dtype=np.float32)
        rows = self.user_categories_[users[known]]
        totals = np.asarray(rows.sum(axis=1), dtype=np.float32).ravel()
        shares = sparse.diags(np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0))
        scores[known] = (shares @ rows @ self.affinity_).toarray()
        empty = np.zeros(len(users), dtype=bool)
        empty[known] = totals == 0
        scores[~known | empty] = self.category_reach_
        scores[scores <= 0] = -np.inf
        seen = rows.tocoo()
        scores[np.flatnonzero(known)[seen.row], seen.col] = -np.inf
        return scores

    def candidate_categories(self, user_ids: IntArray, n: int) -> tuple[IntArray, FloatArray]:
        """The `n` best unseen categories per user and their affinities (-1 / -inf pads)."""
        self.check_fitted()
        check_k(n)
        return top_k(self.category_scores(check_users(user_ids)), n)

    def category_items(self, categories: IntArray, k: int) -> tuple[IntArray, FloatArray]:
        """The `k` most popular items of each category (-1 / -inf pads), for a serving layer
        that picks the categories itself (with a `CategoryBandit`, for instance)."""
        self.check_fitted()
        check_k(k)
        wanted = check_users(categories)
        scores = np.where(
            self.item_categories_[None, :] == wanted[:, None],
            self.item_relative_popularity_[None, :],
            -np.inf,
        ).astype(np.float32)
        return top_k(scores, k)

    def _scores(self, users: IntArray) -> FloatArray:
        chosen_items, chosen_scores = top_k(self.category_scores(users), self.n_categories)
        n_categories = self.affinity_.shape[0]
        chosen = np.full((len(users), n_categories + 1), -np.inf, dtype=np.float32)
        rows = np.repeat(np.arange(len(users)), chosen_items.shape[1])
        cols = chosen_items.ravel()
        real = cols >= 0
        chosen[rows[real], cols[real]] = chosen_scores.ravel()[real]
        # column n_categories stands for "uncategorised" and stays -inf
        item_columns = np.where(self.item_categories_ >= 0, self.item_categories_, n_categories)
        per_item = chosen[:, item_columns]
        eligible = np.isfinite(per_item)
        scores = np.full(per_item.shape, -np.inf, dtype=np.float32)
        rows, cols = np.nonzero(eligible)
        scores[rows, cols] = per_item[rows, cols] * self.item_relative_popularity_[cols]
        return scores


def category_npmi(per_user: sparse.csr_matrix, *, min_users: int) -> sparse.csr_matrix:
    """categories × categories, the positive NPMI of each pair over users (0 elsewhere and on
    the diagonal); pairs with fewer than `min_users` users in common are left out."""
    present = sparse.csr_matrix(per_user > 0, dtype=np.float32)
    n_users = int((present.getnnz(axis=1) > 0).sum())
    n_categories = present.shape[1]
    if n_users == 0:
        return sparse.csr_matrix((n_categories, n_categories), dtype=np.float32)
    both = (present.T @ present).tocoo()
    single = np.asarray(present.sum(axis=0), dtype=np.float64).ravel() / n_users
    keep = (both.row != both.col) & (both.data >= min_users)
    rows, cols = both.row[keep], both.col[keep]
    joint = both.data[keep].astype(np.float64) / n_users
    with np.errstate(divide="ignore"):
        pmi = np.log(joint / (single[rows] * single[cols]))
        npmi = np.where(joint < 1.0, pmi / -np.log(joint), 1.0)
    positive = npmi > 0
    return sparse.csr_matrix(
        (npmi[positive].astype(np.float32), (rows[positive], cols[positive])),
        shape=(n_categories, n_categories),
        dtype=np.float32,
    )

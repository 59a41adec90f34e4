"""Next-item transitions: what users interact with after an item, with skips, smoothing and
backoff to co-visitation and popularity."""

from __future__ import annotations

from typing import Self

import numpy as np
from scipy import sparse

from xingqu.discovery.interactions import Interactions
from xingqu.discovery.retrieval.base import FloatArray, IntArray, Recommender, excluded_keys
from xingqu.discovery.retrieval.histories import recent_items, recent_window, time_ordered
from xingqu.discovery.retrieval.item_pairs import (
    keep_top_per_row,
    popularity_distribution,
    row_normalise,
    sequence_pairs,
    weighted_row_sum,
)


class TransitionRecommender(Recommender):
    """A smoothed, skip-aware Markov chain over items.

    Counts: T[a, b] = Σ over "b follows a by d ≤ `order` steps in the same session" of
    skip_decay ** (d − 1) (× 0.5 ** (age / half_life) with a half-life). The next-item
    distribution after a, with n_a = Σ_b T[a, b] and s = `smoothing`, is

        P(b | a) = (T[a, b] + s × (c × V[a, b] + (1 − c) × pop(b))) / (n_a + s)

    where V is the row-normalised co-visitation of a (both directions, same window) and
    c = `covisit_share`: rare items lean on their co-visits and on popularity. A user's score is
    Σ over their `history` most recent items (newest first, step t) of recency_decay ** t ×
    P(b | h_t). `neighbours` bounds the stored successors per item.
    """

    def __init__(
        self,
        *,
        order: int = 4,
        skip_decay: float = 0.6,
        session_gap: float | None = None,
        half_life: float | None = None,
        smoothing: float = 20.0,
        covisit_share: float = 0.5,
        history: int = 5,
        recency_decay: float = 0.5,
        neighbours: int | None = 200,
    ) -> None:
        self.order = order
        self.skip_decay = skip_decay
        self.session_gap = session_gap
        self.half_life = half_life
        self.smoothing = smoothing
        self.covisit_share = covisit_share
        self.history = history
        self.recency_decay = recency_decay
        self.neighbours = neighbours

    def fit(self, data: Interactions) -> Self:
        if self.order < 1 or self.history < 1:
            raise ValueError("order and history must be at least 1")
        if self.smoothing < 0 or not 0.0 <= self.covisit_share <= 1.0:
            raise ValueError("smoothing must be ≥ 0 and covisit_share within [0, 1]")
        indptr, items, times = time_ordered(data)
        counts = sequence_pairs(
            indptr,
            items,
            times,
            data.n_items,
            window=self.order,
            distance_decay=self.skip_decay,
            session_gap=self.session_gap,
            half_life=self.half_life,
        )
        counts.setdiag(0.0)  # a repeat is not a transition
        counts.eliminate_zeros()
        self.counts_ = counts
        outgoing = np.asarray(counts.sum(axis=1), dtype=np.float32).ravel()
        denominator = outgoing + np.float32(self.smoothing)
        share = np.divide(
            np.float32(self.smoothing),
            denominator,
            out=np.ones_like(denominator),  # an item with no outgoing evidence: all backoff
            where=denominator > 0,
        )
        covisits = row_normalise(counts + counts.T.tocsr())
        has_covisits = np.diff(covisits.indptr) > 0
        covisit_mass = np.where(has_covisits, self.covisit_share, 0.0).astype(np.float32)
        explicit = (
            row_normalise(counts, extra=float(self.smoothing))
            + sparse.diags(share * covisit_mass) @ covisits
        )
        self.transitions_ = keep_top_per_row(explicit, self.neighbours)
        self.popularity_share_ = (share * (1.0 - covisit_mass)).astype(np.float32)
        self.popularity_ = popularity_distribution(data.item_ids, data.n_items, data.values())
        self.history_indptr_ = indptr
        self.history_items_ = items
        self.n_users_ = data.n_users
        self.n_items_ = data.n_items
        self._restore()
        return self

    _derived = ("by_popularity_",)

    def _restore(self) -> None:
        # items by popularity, best first (ties: lower index): one user's top k from the sparse
        # scores and the head of this order (`_top_for_one`)
        self.by_popularity_ = np.lexsort((np.arange(self.n_items_), -self.popularity_))

    def _top_for_one(
        self,
        users: IntArray,
        k: int,
        exclude: sparse.csr_matrix | sparse.csr_array | None,
    ) -> tuple[IntArray, FloatArray] | None:
        """A user's score is sparse (their recent items' successors) plus a backoff share of
        popularity, so their top `k` lie among the successors and the head of the popularity
        order."""
        cols, sparse_scores, backoff = self._sparse_scores(users)
        if backoff <= 0:  # every other item scores 0: ties by index, not by popularity
            return None
        banned = excluded_keys(users, exclude, self.n_items_)  # row 0: the keys are the items
        order = self.by_popularity_
        head = min(len(order), k + len(cols) + len(banned))
        shares = np.float32(backoff) * self.popularity_[order[:head]]
        # items of equal share at the edge of the head are all candidates (ties go by index)
        while (
            head < len(order) and shares[-1] == np.float32(backoff) * self.popularity_[order[head]]
        ):
            head = min(len(order), head * 2)
            shares = np.float32(backoff) * self.popularity_[order[:head]]
        candidates = np.union1d(cols, order[:head])
        scores = np.float32(backoff) * self.popularity_[candidates]
        scores[np.searchsorted(candidates, cols)] += sparse_scores
        allowed = ~np.isin(candidates, banned)
        candidates, scores = candidates[allowed], scores[allowed]
        best = np.lexsort((candidates, -scores))[:k]
        items = np.full((1, k), -1, dtype=np.int64)
        values = np.full((1, k), -np.inf, dtype=np.float32)
        items[0, : len(best)] = candidates[best]
        values[0, : len(best)] = scores[best]
        return items, values

    def _sparse_scores(self, users: IntArray) -> tuple[IntArray, FloatArray, float]:
        """One user's transition scores where they are non-zero (sorted items, scores) and
        their popularity backoff share (`_scores` without the dense row)."""
        _, index, back = recent_window(self.history_indptr_, users, self.history)
        if len(index) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), 1.0
        # as `recent_items` weighs them: an item seen twice adds up, items in index order
        weights = np.power(np.float32(self.recency_decay), back.astype(np.float32))
        recent, inverse = np.unique(self.history_items_[index], return_inverse=True)
        merged = np.zeros(len(recent), dtype=np.float32)
        np.add.at(merged, inverse, weights)
        cols, scores = weighted_row_sum(self.transitions_, recent, merged)
        backoff = np.float32(0.0)  # accumulated in float32, in index order, as the sparse product
        for weight, share in zip(merged, self.popularity_share_[recent], strict=True):
            backoff = np.float32(backoff + weight * share)
        return cols, scores, float(backoff)

    def _scores(self, users: IntArray) -> FloatArray:
        recent = recent_items(
            self.history_indptr_,
            self.history_items_,
            users,
            self.n_items_,
            last=self.history,
            decay=self.recency_decay,
        )
        scores = np.asarray((recent @ self.transitions_).toarray(), dtype=np.float32)
        backoff = np.asarray(recent @ self.popularity_share_, dtype=np.float32).ravel()
        backoff[recent.getnnz(axis=1) == 0] = 1.0  # no history: popularity alone
        scores += backoff[:, None] * self.popularity_[None, :]
        return scores

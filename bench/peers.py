"""In-process peer systems, each behind the same estimator API as Xingqu's models.

- `PopularityPeer`: items ranked by how many interactions they have in the fit data.
- `TransitionPeer`: a first-order item-transition model. It counts, over every user's sequence
  in the fit data, how often item j directly follows item i, and ranks items by the counts of
  the row of the user's last item (popularity breaks ties and fills short rows). A strong
  floor on the Amazon leave-one-out files.
- `ImplicitALS`, `ImplicitBPR`: `implicit` 0.7.3's CPU ALS (conjugate gradient) and BPR on
  the binary user × item matrix. Set OPENBLAS_NUM_THREADS=1 before NumPy loads (compare.py
  does).

All follow the protocol in `xingqu.discovery.evaluation.protocol`: `fit(Interactions)`,
`recommend(user_ids, k, exclude=rows)`, `score(user_ids, item_ids)`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from xingqu.discovery.interactions import IntArray, Interactions

FloatArray = npt.NDArray[np.float32]


def top_k_of(
    scores: npt.NDArray[Any], k: int, exclude: sparse.csr_matrix | None
) -> tuple[IntArray, FloatArray]:
    """Row-wise top `k` of a dense score block, excluded entries removed, -1 padded.
    `exclude` rows are aligned with the block's rows (see `rows_of`)."""
    scores = np.array(scores, dtype=np.float32)
    if exclude is not None:
        rows, cols = exclude.nonzero()
        scores[rows, cols] = -np.inf
    n_items = scores.shape[1]
    width = min(k, n_items)
    part = (
        np.argpartition(-scores, width - 1, axis=1)[:, :width]
        if width < n_items
        else np.tile(np.arange(n_items), (len(scores), 1))
    )
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-part_scores, axis=1, kind="stable")
    items = np.take_along_axis(part, order, axis=1).astype(np.int64)
    values = np.take_along_axis(part_scores, order, axis=1)
    items[~np.isfinite(values)] = -1
    out_items = np.full((len(scores), k), -1, dtype=np.int64)
    out_scores = np.full((len(scores), k), -np.inf, dtype=np.float32)
    out_items[:, :width] = items
    out_scores[:, :width] = values
    return out_items, out_scores


def rows_of(exclude: sparse.csr_matrix | None, user_ids: IntArray) -> sparse.csr_matrix | None:
    """The rows of `exclude` (indexed by user id, the protocol's convention) for `user_ids`,
    in batch order."""
    return None if exclude is None else sparse.csr_matrix(exclude)[user_ids]


class PopularityPeer:
    def fit(self, data: Interactions) -> PopularityPeer:
        self.n_items_ = data.n_items
        self.counts_ = np.bincount(data.item_ids, minlength=data.n_items).astype(np.float32)
        return self

    def recommend(
        self, user_ids: IntArray, k: int, *, exclude: sparse.csr_matrix | None = None
    ) -> tuple[IntArray, FloatArray]:
        return top_k_of(np.tile(self.counts_, (len(user_ids), 1)), k, rows_of(exclude, user_ids))

    def score(self, user_ids: IntArray, item_ids: IntArray) -> FloatArray:
        return self.counts_[item_ids]


class TransitionPeer:
    def __init__(self, tie_break: float = 1e-6) -> None:
        self.tie_break = tie_break

    def fit(self, data: Interactions) -> TransitionPeer:
        order = data.time_order()
        users, items = data.user_ids[order], data.item_ids[order]
        follows = users[1:] == users[:-1]
        counts = sparse.csr_matrix(
            (np.ones(int(follows.sum()), np.float32), (items[:-1][follows], items[1:][follows])),
            shape=(data.n_items, data.n_items),
        )
        counts.sum_duplicates()
        self.transitions_ = counts
        last = np.full(data.n_users, -1, dtype=np.int64)
        ends = np.r_[~follows, True]
        last[users[ends]] = items[ends]
        self.last_item_ = last
        popularity = np.bincount(data.item_ids, minlength=data.n_items).astype(np.float32)
        self.prior_ = self.tie_break * popularity / max(float(popularity.max()), 1.0)
        return self

    def _rows(self, user_ids: IntArray) -> npt.NDArray[np.float32]:
        last = self.last_item_[user_ids]
        rows = np.tile(self.prior_, (len(user_ids), 1))
        has = last >= 0
        if has.any():
            rows[has] += self.transitions_[last[has]].toarray()
        return rows

    def recommend(
        self, user_ids: IntArray, k: int, *, exclude: sparse.csr_matrix | None = None
    ) -> tuple[IntArray, FloatArray]:
        return top_k_of(self._rows(user_ids), k, rows_of(exclude, user_ids))

    def score(self, user_ids: IntArray, item_ids: IntArray) -> FloatArray:
        last = self.last_item_[user_ids]
        values = self.prior_[item_ids].copy()
        has = last >= 0
        values[has] += np.asarray(self.transitions_[last[has], item_ids[has]]).ravel()
        return values


class _ImplicitPeer:
    """Shared fit/recommend/score over an `implicit` matrix-factorisation model."""

    def _model(self) -> Any:
        raise NotImplementedError

    def fit(self, data: Interactions) -> _ImplicitPeer:
        model = self._model()
        model.fit(data.to_csr(binary=True), show_progress=False)
        self.model_ = model
        self.n_items_ = data.n_items
        return self

    def recommend(
        self, user_ids: IntArray, k: int, *, exclude: sparse.csr_matrix | None = None
    ) -> tuple[IntArray, FloatArray]:
        rows = (
            rows_of(exclude, user_ids)
            if exclude is not None
            else sparse.csr_matrix((len(user_ids), self.n_items_), dtype=np.float32)
        )
        ids, scores = self.model_.recommend(
            user_ids, rows, N=min(k, self.n_items_), filter_already_liked_items=exclude is not None
        )
        items = np.full((len(user_ids), k), -1, dtype=np.int64)
        values = np.full((len(user_ids), k), -np.inf, dtype=np.float32)
        items[:, : ids.shape[1]] = ids
        values[:, : ids.shape[1]] = scores
        bad = ~np.isfinite(values) | (items < 0)
        items[bad] = -1
        return items, values

    def score(self, user_ids: IntArray, item_ids: IntArray) -> FloatArray:
        users = self.model_.user_factors[user_ids]
        items = self.model_.item_factors[item_ids]
        return np.einsum("ij,ij->i", users, items).astype(np.float32)


class ImplicitALS(_ImplicitPeer):
    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.05,
        alpha: float = 2.0,
        iterations: int = 15,
        random_state: int = 2024,
    ) -> None:
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.random_state = random_state

    def _model(self) -> Any:
        from implicit.cpu.als import AlternatingLeastSquares

        return AlternatingLeastSquares(
            factors=self.factors,
            regularization=self.regularization,
            alpha=self.alpha,
            iterations=self.iterations,
            random_state=self.random_state,
        )


class ImplicitBPR(_ImplicitPeer):
    def __init__(
        self,
        factors: int = 64,
        learning_rate: float = 0.05,
        regularization: float = 0.01,
        iterations: int = 100,
        random_state: int = 2024,
    ) -> None:
        self.factors = factors
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.iterations = iterations
        self.random_state = random_state

    def _model(self) -> Any:
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        return BayesianPersonalizedRanking(
            factors=self.factors,
            learning_rate=self.learning_rate,
            regularization=self.regularization,
            iterations=self.iterations,
            random_state=self.random_state,
        )


IN_PROCESS: dict[str, type] = {
    "popularity": PopularityPeer,
    "transition": TransitionPeer,
    "als": ImplicitALS,
    "bpr": ImplicitBPR,
}
"""Peer name → class, for compare.py's --models."""

"""Matrix factorisation by implicit's ALS (confidence-weighted), served through an HNSW index.

Retrieval is maximum inner product. Each item vector v is lifted to [v, √(R² − |v|²)] (R the
largest item norm) and each user vector u to [u, 0]: inner products are unchanged and every item
has the same norm, so the graph search behaves as a cosine search would. Users whose filtered ANN
answer runs short (many exclusions) are served by the exact product instead.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
from scipy import sparse

from xingqu.discovery.interactions import Interactions
from xingqu.discovery.retrieval.base import (
    FloatArray,
    IntArray,
    Recommender,
    check_k,
    check_users,
    excluded_keys,
    known_users,
    top_k,
)

ANN_SHARE = 0.25
"""Lists (k plus the most exclusions of a user in the batch) longer than this share of the
catalogue are served by the exact product: a graph search gains nothing there and may not
return that many items."""


class ALSRecommender(Recommender):
    """Confidence-weighted implicit ALS (Hu, Koren & Volinsky 2008) via the `implicit` package.

    Confidence is 1 + alpha × weight (interaction weights summed per user and item; 1 per
    user and item with `binary`). Users not seen in fit get the most popular items.
    `ann=False` serves every user exactly.
    """

    _derived: ClassVar[tuple[str, ...]] = ("index_",)

    def __init__(
        self,
        *,
        factors: int = 64,
        regularization: float = 0.05,
        alpha: float = 10.0,
        iterations: int = 15,
        seed: int = 0,
        ann: bool = True,
        ann_m: int = 16,
        ann_ef_construction: int = 200,
        ann_ef: int = 100,
        n_threads: int = 0,
        binary: bool = False,
    ) -> None:
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.seed = seed
        self.ann = ann
        self.ann_m = ann_m
        self.ann_ef_construction = ann_ef_construction
        self.ann_ef = ann_ef
        self.n_threads = n_threads
        self.binary = binary

    def fit(self, data: Interactions) -> Self:
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        if self.factors < 1 or self.iterations < 0:
            raise ValueError("factors must be ≥ 1 and iterations ≥ 0")
        matrix = data.to_csr(binary=self.binary)
        with threadpool_limits(1, "blas"):  # implicit's own threads do the work
            model = AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.regularization,
                alpha=self.alpha,
                iterations=self.iterations,
                random_state=self.seed,
                num_threads=self.n_threads,
            )
            model.fit(matrix, show_progress=False)
        self.user_factors_ = np.ascontiguousarray(model.user_factors, dtype=np.float32)
        self.item_factors_ = np.ascontiguousarray(model.item_factors, dtype=np.float32)
        self.item_popularity_ = np.asarray(matrix.getnnz(axis=0), dtype=np.float32)
        self.n_users_ = data.n_users
        self.n_items_ = data.n_items
        self._restore()
        return self

    def _restore(self) -> None:
        self.index_: Any = self._build_index() if self.ann and self.n_items_ > 0 else None

    def _build_index(self) -> Any:
        import hnswlib

        vectors = self.item_factors_
        norms = np.linalg.norm(vectors, axis=1)
        lift = np.sqrt(np.maximum(float(norms.max()) ** 2 - norms**2, 0.0))
        lifted = np.hstack([vectors, lift[:, None]]).astype(np.float32)
        index = hnswlib.Index(space="ip", dim=lifted.shape[1])
        index.init_index(
            max_elements=len(lifted),
            M=self.ann_m,
            ef_construction=self.ann_ef_construction,
            random_seed=self.seed,
        )
        index.set_num_threads(1)  # a single-threaded build is deterministic: load == fit
        index.add_items(lifted, np.arange(len(lifted)))
        index.set_ef(self.ann_ef)
        return index

    def _scores(self, users: IntArray) -> FloatArray:
        known = known_users(users, self.n_users_)
        scores = np.empty((len(users), self.n_items_), dtype=np.float32)
        scores[known] = self.user_factors_[users[known]] @ self.item_factors_.T
        scores[~known] = self.item_popularity_
        return scores

    def recommend(
        self,
        user_ids: npt.ArrayLike,
        k: int,
        *,
        exclude: sparse.csr_matrix | sparse.csr_array | None = None,
    ) -> tuple[IntArray, FloatArray]:
        users = check_users(user_ids)
        check_k(k)
        self.check_fitted()
        if self.index_ is None or k == 0 or len(users) == 0:
            return super().recommend(users, k, exclude=exclude)
        rows = np.flatnonzero(known_users(users, self.n_users_))
        excluded = excluded_keys(users[rows], exclude, self.n_items_)
        counts = np.bincount(excluded // self.n_items_, minlength=len(rows))
        wanted = k + int(counts.max(initial=0))
        if wanted > self.n_items_ * ANN_SHARE:  # a long list: the exact product is as fast
            return super().recommend(users, k, exclude=exclude)
        items = np.full((len(users), k), -1, dtype=np.int64)
        scores = np.full((len(users), k), -np.inf, dtype=np.float32)
        short = np.flatnonzero(~known_users(users, self.n_users_))
        if len(rows):
            self.index_.set_ef(max(self.ann_ef, wanted))
            queries = np.hstack(
                [self.user_factors_[users[rows]], np.zeros((len(rows), 1), dtype=np.float32)]
            )
            try:
                labels, distances = self.index_.knn_query(
                    queries, k=wanted, num_threads=self.n_threads or -1
                )
            except RuntimeError:  # the graph could not produce that many: serve exactly
                return super().recommend(users, k, exclude=exclude)
            labels = labels.astype(np.int64)
            keys = np.arange(len(rows))[:, None] * self.n_items_ + labels
            valid = ~np.isin(keys, excluded)
            rank = np.cumsum(valid, axis=1) - 1
            place = valid & (rank < k)
            r, c = np.nonzero(place)
            items[rows[r], rank[r, c]] = labels[r, c]
            scores[rows[r], rank[r, c]] = 1.0 - distances[r, c]
            got = place.sum(axis=1)
            possible = np.minimum(k, self.n_items_ - counts)
            short = np.concatenate([short, rows[got < possible]])
        if len(short):
            items[short], scores[short] = super().recommend(users[short], k, exclude=exclude)
        return items, scores

    def similar_items(self, item_ids: npt.ArrayLike, k: int) -> tuple[IntArray, FloatArray]:
        """For each item, the `k` items with the most similar factors (cosine), itself excluded."""
        self.check_fitted()
        check_k(k)
        ids = check_users(item_ids)
        if ids.size and (ids.min() < 0 or ids.max() >= self.n_items_):
            raise ValueError("item id out of range")
        norms = np.linalg.norm(self.item_factors_, axis=1)
        unit = self.item_factors_ / np.where(norms > 0, norms, 1.0)[:, None]
        cosine = (unit[ids] @ unit.T).astype(np.float32)
        cosine[np.arange(len(ids)), ids] = -np.inf
        return top_k(cosine, k)

"""EASE: a closed-form item-to-item linear model (Steck, "Embarrassingly Shallow Autoencoders
for Sparse Data", WWW 2019).

B = argmin ‖X − XB‖² + λ‖B‖², diag(B) = 0, solved as P = (XᵀX + λI)⁻¹, B_ij = −P_ij / P_jj.

With a `session_window` w, the Gram matrix also counts, × `session_weight`, the items that
share a stretch of w consecutive interactions of one user (each history cut into chunks of w,
at offsets w // 2 apart, averaged): XᵀX + γ X_wᵀX_w. Items met close together in time
then weigh more than items met months apart, which helps on random splits of logs whose order
carries taste (MovieLens users rate in sessions). The chunk Gram is a Gram matrix too, so the
sum stays positive semi-definite.

The Gram matrix is dense (n_items² float32, and the inversion needs about three such matrices),
so catalogues above `max_items` are refused rather than exhausting memory.
"""

from __future__ import annotations

from typing import Self

import numpy as np
from scipy import sparse
from scipy.linalg import lapack

from xingqu.discovery.interactions import Interactions
from xingqu.discovery.retrieval.base import FloatArray, IntArray, Recommender, known_users
from xingqu.discovery.retrieval.histories import time_ordered


class EASERecommender(Recommender):
    """Scores = the user's (binary) row × B. `regularization` is λ. `prune`, when given, keeps
    only the `prune` largest weights in each column of B (a sparse B serves much faster and
    saves much smaller). Users without history get the most popular items."""

    def __init__(
        self,
        *,
        regularization: float = 500.0,
        max_items: int = 20_000,
        prune: int | None = None,
        session_window: int | None = None,
        session_weight: float = 0.0,
    ) -> None:
        self.regularization = regularization
        self.max_items = max_items
        self.prune = prune
        self.session_window = session_window
        self.session_weight = session_weight

    def fit(self, data: Interactions) -> Self:
        if data.n_items > self.max_items:
            need = 3 * 4 * data.n_items**2 / 2**30
            raise ValueError(
                f"EASE inverts a dense {data.n_items} × {data.n_items} matrix (about {need:.1f} "
                f"GiB); the limit is max_items={self.max_items}. Raise it if the memory is "
                "there, or use another estimator"
            )
        if self.regularization <= 0:
            raise ValueError("regularization must be positive")
        if self.session_weight < 0 or (self.session_window is not None and self.session_window < 2):
            raise ValueError("session_weight must be ≥ 0 and session_window ≥ 2 (or None)")
        matrix = data.to_csr(binary=True)
        extra = None
        if self.session_window is not None and self.session_weight > 0:
            extra = self.session_weight * chunk_gram(data, self.session_window)
        self.weights_ = closed_form(matrix, self.regularization, prune=self.prune, extra=extra)
        self.user_items_ = matrix
        self.item_popularity_ = np.asarray(matrix.sum(axis=0), dtype=np.float32).ravel()
        self.n_users_ = data.n_users
        self.n_items_ = data.n_items
        return self

    def _scores(self, users: IntArray) -> FloatArray:
        known = known_users(users, self.n_users_)
        scores = np.empty((len(users), self.n_items_), dtype=np.float32)
        rows = self.user_items_[users[known]]
        product = rows @ self.weights_
        scores[known] = product.toarray() if sparse.issparse(product) else product
        empty = np.zeros(len(users), dtype=bool)
        empty[known] = rows.getnnz(axis=1) == 0
        scores[~known | empty] = self.item_popularity_
        return scores


def chunk_gram(data: Interactions, window: int) -> sparse.csr_matrix:
    """Σ over chunks of `window` consecutive interactions of a user (binary per chunk) of the
    chunk's item outer product, averaged over the chunkings that start at offsets 0,
    window // 2, 2 × (window // 2), ... below window."""
    indptr, items, _ = time_ordered(data)
    counts = np.diff(indptr)
    owner = np.repeat(np.arange(data.n_users, dtype=np.int64), counts)
    position = np.arange(len(items)) - np.repeat(indptr[:-1], counts)
    offsets = range(0, window, max(1, window // 2))
    total = sparse.csr_matrix((data.n_items, data.n_items), dtype=np.float32)
    for offset in offsets:
        chunk = owner * (int(counts.max(initial=0)) // window + 2) + (position + offset) // window
        _, row = np.unique(chunk, return_inverse=True)
        rows = sparse.csr_matrix(
            (np.ones(len(items), dtype=np.float32), (row, items)),
            shape=(int(row.max(initial=-1)) + 1, data.n_items),
        )
        rows.data[:] = 1.0  # an item twice in a chunk counts once
        total = total + (rows.T @ rows).tocsr()
    return (total / len(offsets)).tocsr()


def closed_form(
    matrix: sparse.csr_matrix,
    regularization: float,
    *,
    prune: int | None = None,
    extra: sparse.csr_matrix | None = None,
) -> FloatArray | sparse.csr_matrix:
    """EASE's B for the users × items `matrix` (dense float32; sparse when pruned); `extra`
    (items × items, positive semi-definite) is added to the Gram matrix."""
    gram_sparse = matrix.T @ matrix
    if extra is not None:
        gram_sparse = gram_sparse + extra
    gram = np.asarray(gram_sparse.toarray(), dtype=np.float32)
    n = gram.shape[0]
    if n == 0:
        return gram
    gram[np.diag_indices(n)] += np.float32(regularization)
    weights = _spd_inverse(gram)
    weights /= -np.diag(weights).copy()[None, :]
    weights[np.diag_indices(n)] = 0.0
    if prune is None:
        return weights
    keep = np.argpartition(-np.abs(weights), min(prune, n) - 1, axis=0)[:prune]
    cols = np.broadcast_to(np.arange(n), keep.shape)
    pruned = sparse.csr_matrix(
        (weights[keep, cols].ravel(), (keep.ravel(), cols.ravel())), shape=(n, n)
    )
    pruned.eliminate_zeros()
    return pruned


def _spd_inverse(matrix: FloatArray) -> FloatArray:
    """The inverse of a symmetric positive-definite matrix by Cholesky, overwriting `matrix`
    (one n × n buffer in all, the big catalogues need it)."""
    factor, info = lapack.spotrf(matrix.T, lower=False, overwrite_a=True, clean=False)
    if info != 0:
        raise ValueError("the regularised Gram matrix is not positive definite")
    inverse, info = lapack.spotri(factor, lower=False, overwrite_c=True)
    if info != 0:
        raise ValueError("could not invert the regularised Gram matrix")
    n, step = inverse.shape[0], 1024
    for start in range(0, n, step):  # mirror the upper triangle, a band of rows at a time
        stop = min(n, start + step)
        inverse[start:stop, :start] = inverse[:start, start:stop].T
        block = inverse[start:stop, start:stop]
        inverse[start:stop, start:stop] = np.triu(block) + np.triu(block, 1).T
    return np.ascontiguousarray(inverse, dtype=np.float32)

"""Offline metrics as pure functions (NumPy in, NumPy or float out).

Ranking metrics take a *hit matrix*: `hits[u, r]` is true when the item at rank `r` (0-based)
of user `u`'s list is one of that user's targets, and `n_relevant[u]` is how many distinct
targets the user has. They return one value per user, so a caller can average them over any
group of users, or over batches. Padding (-1 item ids) never counts as a hit.

Definitions (the same as RecBole's, which most published numbers use):
- HR@K: 1 when any target is in the top K.
- Recall@K: hits in the top K / number of targets.
- NDCG@K: sum over hits of 1/log2(rank + 2), over the best possible sum for
  min(number of targets, K) targets.
- MRR@K: 1 / (rank + 1) of the first hit in the top K, else 0; `mrr` over a full ranking is MRR
  without a cut-off.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from xingqu.discovery.interactions import IntArray

BoolMatrix = npt.NDArray[np.bool_]
FloatVector = npt.NDArray[np.float64]


def hit_matrix(
    recommended: IntArray, user_ids: IntArray, targets: set[int] | IntArray, n_items: int
) -> BoolMatrix:
    """`hits[i, r]`: is `recommended[i, r]` a target of user `user_ids[i]`? `targets` holds
    target keys `user * n_items + item` (any order, duplicates allowed)."""
    keys = np.asarray(
        sorted(targets) if isinstance(targets, set) else np.unique(targets), dtype=np.int64
    )
    candidate = user_ids[:, None].astype(np.int64) * n_items + recommended.astype(np.int64)
    found = np.isin(candidate, keys)
    return found & (recommended >= 0)


def _cut(hits: BoolMatrix, k: int) -> BoolMatrix:
    if k < 1:
        raise ValueError("k must be at least 1")
    return hits[:, :k]


def hit_rate_at_k(hits: BoolMatrix, k: int) -> FloatVector:
    return np.asarray(_cut(hits, k).any(axis=1), dtype=np.float64)


def recall_at_k(hits: BoolMatrix, n_relevant: IntArray, k: int) -> FloatVector:
    found = _cut(hits, k).sum(axis=1).astype(np.float64)
    return np.divide(found, n_relevant, out=np.zeros_like(found), where=n_relevant > 0)


def _discounts(length: int) -> FloatVector:
    return 1.0 / np.log2(np.arange(length, dtype=np.float64) + 2.0)


def ndcg_at_k(hits: BoolMatrix, n_relevant: IntArray, k: int) -> FloatVector:
    top = _cut(hits, k)
    discounts = _discounts(top.shape[1])
    dcg = top.astype(np.float64) @ discounts
    ideal_cumulative = np.r_[0.0, np.cumsum(_discounts(k))]
    idcg = ideal_cumulative[np.minimum(n_relevant, k)]
    return np.divide(dcg, idcg, out=np.zeros_like(dcg), where=idcg > 0)


def mrr(hits: BoolMatrix) -> FloatVector:
    """Reciprocal rank of the first hit anywhere in the lists (0 when none)."""
    any_hit = hits.any(axis=1)
    first = np.argmax(hits, axis=1)
    return np.where(any_hit, 1.0 / (first + 1.0), 0.0)


def mrr_at_k(hits: BoolMatrix, k: int) -> FloatVector:
    return mrr(_cut(hits, k))


def auc(labels: npt.ArrayLike, scores: npt.ArrayLike) -> float:
    """Area under the ROC curve: the probability that a random positive scores above a random
    negative, ties counting one half (Mann–Whitney U with average ranks). NaN when one class is
    missing."""
    y = np.asarray(labels).astype(bool)
    s = np.asarray(scores, dtype=np.float64)
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = _average_ranks(s)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def _average_ranks(values: FloatVector) -> FloatVector:
    """1-based ranks, tied values sharing the mean of their ranks."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    boundaries = np.r_[True, ordered[1:] != ordered[:-1]]
    group = np.cumsum(boundaries) - 1
    starts = np.flatnonzero(boundaries)
    ends = np.r_[starts[1:], len(values)]
    mean_rank = (starts + ends + 1) / 2.0  # mean of (start+1 .. end)
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = mean_rank[group]
    return ranks


def gauc(user_ids: npt.ArrayLike, labels: npt.ArrayLike, scores: npt.ArrayLike) -> float:
    """Group AUC: each user's AUC weighted by that user's number of impressions; users whose
    impressions are all positive or all negative are dropped. NaN when no user is left."""
    users = np.asarray(user_ids)
    y = np.asarray(labels).astype(bool)
    s = np.asarray(scores, dtype=np.float64)
    order = np.argsort(users, kind="stable")
    users, y, s = users[order], y[order], s[order]
    starts = np.r_[0, np.flatnonzero(users[1:] != users[:-1]) + 1]
    ends = np.r_[starts[1:], len(users)]
    total = weight = 0.0
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        value = auc(y[start:end], s[start:end])
        if np.isnan(value):
            continue
        total += value * (end - start)
        weight += end - start
    return total / weight if weight else float("nan")


def catalogue_coverage(recommended: IntArray, n_items: int) -> float:
    """Share of the catalogue that appears in at least one list."""
    shown = np.unique(recommended[recommended >= 0])
    return len(shown) / n_items if n_items else 0.0


def item_self_information(
    item_ids: IntArray, user_ids: IntArray, n_items: int, n_users: int
) -> FloatVector:
    """−log2 of each item's popularity in the given interactions, where popularity is the share
    of users who interacted with the item. An item nobody touched counts as touched by one
    user (it is at least as novel as the rarest observed item, and finite)."""
    keys = np.unique(user_ids.astype(np.int64) * n_items + item_ids)
    users_per_item = np.bincount(keys % n_items, minlength=n_items).astype(np.float64)
    return -np.log2(np.maximum(users_per_item, 1.0) / max(n_users, 1))


def novelty(recommended: IntArray, self_information: FloatVector) -> float:
    """Mean self-information of the recommended items (padding ignored)."""
    shown = recommended[recommended >= 0]
    return float(self_information[shown].mean()) if len(shown) else 0.0


def discovery_counts(
    recommended: IntArray,
    hits: BoolMatrix,
    user_ids: IntArray,
    item_categories: IntArray,
    known_categories: set[int] | IntArray,
    n_categories: int,
) -> tuple[int, int]:
    """(hits whose item category is new to the user, hits with a known category).

    `known_categories` holds keys `user * n_categories + category` for the categories in each
    user's history. Hits on items without a category (-1) are left out of both counts."""
    keys = np.asarray(
        sorted(known_categories) if isinstance(known_categories, set) else known_categories,
        dtype=np.int64,
    )
    hit_rows, hit_ranks = np.nonzero(hits)
    categories = item_categories[recommended[hit_rows, hit_ranks]]
    known = categories >= 0
    hit_keys = user_ids[hit_rows][known].astype(np.int64) * n_categories + categories[known]
    new = ~np.isin(hit_keys, keys)
    return int(new.sum()), int(known.sum())


def discovery_rate(
    recommended: IntArray,
    hits: BoolMatrix,
    user_ids: IntArray,
    item_categories: IntArray,
    known_categories: set[int] | IntArray,
    n_categories: int,
) -> float:
    """Share of hits whose item category is new to the user's history (see `discovery_counts`)."""
    new, total = discovery_counts(
        recommended, hits, user_ids, item_categories, known_categories, n_categories
    )
    return new / total if total else 0.0

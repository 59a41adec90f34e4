"""The evaluation protocol: fit, rank every item for every evaluated user, score with `metrics`.

Stages: `valid` fits on train and evaluates the validation targets (for tuning and early
stopping); `test` fits on train + valid and evaluates the test targets. Rankings are full
(over all items) and exclude every item the user has in the fit data. Users are ranked in
batches, so memory stays bounded by `batch_size × n_items` scores inside the model.

Any object with `fit(Interactions)` and `recommend(user_ids, k, exclude=...)` can be evaluated
(the `Recommender` protocol). Click/purchase AUC on labelled impressions uses the model's
optional `score(user_ids, item_ids)`; without it, a pair's score is minus its rank in the
model's full ranking (which is slower, but the same order).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from scipy import sparse

from xingqu.discovery.evaluation import metrics
from xingqu.discovery.evaluation.errors import EvaluationError
from xingqu.discovery.evaluation.splits import Impressions, Split, Stage
from xingqu.discovery.interactions import IntArray, Interactions
from xingqu.shared.errors import invalid

DEFAULT_BATCH = 512


@runtime_checkable
class Recommender(Protocol):
    """What the protocol needs from an estimator (see `xingqu.discovery.retrieval`)."""

    def fit(self, data: Interactions) -> Any: ...

    def recommend(
        self, user_ids: IntArray, k: int, *, exclude: sparse.csr_matrix | None = None
    ) -> tuple[IntArray, npt.NDArray[Any]]:
        """Top `k` per user; `exclude` is users × items with rows indexed by user id."""
        ...


@runtime_checkable
class PairScorer(Protocol):
    """Optional: a score for each (user_ids[i], item_ids[i]) pair; higher is better."""

    def score(self, user_ids: IntArray, item_ids: IntArray) -> npt.NDArray[Any]: ...


@contextmanager
def _progress(enabled: bool, description: str, total: int) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)

        def advance(n: int) -> None:
            bar.advance(task, n)

        yield advance


def top_k(
    model: Recommender,
    user_ids: IntArray,
    history: sparse.csr_matrix,
    k: int,
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: bool = False,
) -> IntArray:
    """Each user's top `k` items (rows aligned with `user_ids`, -1 pads), excluding the items
    of the user's row in `history`, asked from the model `batch_size` users at a time. The
    model gets the whole `history` as `exclude`: its rows are indexed by user id, the
    convention of every estimator here (`xingqu.discovery.retrieval.base.Recommender`)."""
    if k < 1 or batch_size < 1:
        raise invalid(EvaluationError.INVALID_PROTOCOL, "k and batch_size must be positive")
    out = np.full((len(user_ids), k), -1, dtype=np.int64)
    with _progress(progress, f"ranking (top {k})", len(user_ids)) as advance:
        for start in range(0, len(user_ids), batch_size):
            users = user_ids[start : start + batch_size]
            items, _ = model.recommend(users, k, exclude=history)
            items = np.asarray(items)
            if items.shape != (len(users), k):
                raise invalid(
                    EvaluationError.INVALID_RECOMMENDATIONS,
                    f"recommend returned shape {items.shape}, expected {(len(users), k)}",
                )
            out[start : start + len(users)] = items
            if advance is not None:
                advance(len(users))
    return out


def _target_keys(targets: Interactions) -> IntArray:
    return np.unique(targets.user_ids * targets.n_items + targets.item_ids)


def ranking_report(
    recommended: IntArray,
    user_ids: IntArray,
    targets: Interactions,
    history: Interactions,
    k_values: Sequence[int] = (10, 20),
) -> dict[str, float]:
    """Mean ranking, beyond-accuracy and discovery metrics of the lists `recommended` (rows
    aligned with `user_ids`) against `targets`, for users whose fit data was `history`."""
    n_items = targets.n_items
    keys = _target_keys(targets)
    n_relevant = np.bincount(keys // n_items, minlength=targets.n_users)[user_ids]
    hits = metrics.hit_matrix(recommended, user_ids, keys, n_items)
    info = metrics.item_self_information(
        history.item_ids, history.user_ids, n_items, history.n_users
    )
    seen = np.isin(
        user_ids[:, None] * n_items + recommended,
        np.unique(history.user_ids * n_items + history.item_ids),
    ) & (recommended >= 0)
    report: dict[str, float] = {"seen_recommended": float(seen.sum())}
    categories = targets.item_categories
    known: IntArray | None = None
    n_categories = 0
    if categories is not None and (categories >= 0).any():
        n_categories = int(categories.max()) + 1
        history_categories = categories[history.item_ids]
        has = history_categories >= 0
        known = np.unique(history.user_ids[has] * n_categories + history_categories[has])
    for k in sorted(set(k_values)):
        if k > recommended.shape[1]:
            raise invalid(EvaluationError.INVALID_PROTOCOL, f"lists are shorter than {k}")
        report[f"hr@{k}"] = float(metrics.hit_rate_at_k(hits, k).mean())
        report[f"recall@{k}"] = float(metrics.recall_at_k(hits, n_relevant, k).mean())
        report[f"ndcg@{k}"] = float(metrics.ndcg_at_k(hits, n_relevant, k).mean())
        report[f"mrr@{k}"] = float(metrics.mrr_at_k(hits, k).mean())
        report[f"coverage@{k}"] = metrics.catalogue_coverage(recommended[:, :k], n_items)
        report[f"novelty@{k}"] = metrics.novelty(recommended[:, :k], info)
        if known is not None and categories is not None:
            report[f"discovery@{k}"] = metrics.discovery_rate(
                recommended[:, :k], hits[:, :k], user_ids, categories, known, n_categories
            )
    return report


def full_ranking_mrr(
    model: Recommender,
    user_ids: IntArray,
    history: sparse.csr_matrix,
    targets: Interactions,
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: bool = False,
) -> float:
    """MRR without a cut-off: each user's complete ranking is asked for, one batch at a time,
    and only the reciprocal rank of its first hit is kept (memory: one batch × n_items)."""
    n_items = targets.n_items
    keys = _target_keys(targets)
    total = 0.0
    with _progress(progress, "ranking (all items)", len(user_ids)) as advance:
        for start in range(0, len(user_ids), batch_size):
            users = user_ids[start : start + batch_size]
            ranked = top_k(model, users, history, n_items, batch_size=len(users))
            total += float(metrics.mrr(metrics.hit_matrix(ranked, users, keys, n_items)).sum())
            if advance is not None:
                advance(len(users))
    return total / len(user_ids) if len(user_ids) else 0.0


def score_pairs(
    model: Recommender,
    user_ids: IntArray,
    item_ids: IntArray,
    n_items: int,
    *,
    batch_size: int = DEFAULT_BATCH,
) -> npt.NDArray[np.float64]:
    """Scores of (user, item) pairs: `model.score` when it has one, else minus the item's rank
    in the user's full ranking (no exclusion; items missing from the list rank last)."""
    if isinstance(model, PairScorer):
        return np.asarray(model.score(user_ids, item_ids), dtype=np.float64)
    scores = np.empty(len(user_ids), dtype=np.float64)
    users, inverse = np.unique(user_ids, return_inverse=True)
    for start in range(0, len(users), batch_size):
        batch = users[start : start + batch_size]
        ranked, _ = model.recommend(batch, n_items)
        rank = np.full((len(batch), n_items), float(n_items), dtype=np.float64)
        rows = np.repeat(np.arange(len(batch)), ranked.shape[1])
        flat = np.asarray(ranked).ravel()
        valid = flat >= 0
        rank[rows[valid], flat[valid]] = np.tile(np.arange(ranked.shape[1]), len(batch))[valid]
        pick = (inverse >= start) & (inverse < start + len(batch))
        scores[pick] = -rank[inverse[pick] - start, item_ids[pick]]
    return scores


def impression_report(
    scores: npt.NDArray[np.float64], impressions: Impressions
) -> dict[str, float]:
    """Click and purchase AUC/GAUC of pair scores on labelled impressions: click over all rows,
    purchase over all rows (click-and-buy), and purchase over clicked rows (post-click)."""
    clicked = impressions.click == 1
    report = {
        "auc_click": metrics.auc(impressions.click, scores),
        "gauc_click": metrics.gauc(impressions.user_ids, impressions.click, scores),
        "auc_buy": metrics.auc(impressions.buy, scores),
        "gauc_buy": metrics.gauc(impressions.user_ids, impressions.buy, scores),
        "auc_buy_given_click": metrics.auc(impressions.buy[clicked], scores[clicked]),
        "gauc_buy_given_click": metrics.gauc(
            impressions.user_ids[clicked], impressions.buy[clicked], scores[clicked]
        ),
    }
    return {key: value for key, value in report.items() if not math.isnan(value)}


def hyper_parameters(model: object) -> dict[str, Any]:
    """The model's public, JSON-friendly attributes that are not learned state (no `_` end)."""
    found: dict[str, Any] = {}
    for key, value in vars(model).items():
        if key.startswith("_") or key.endswith("_"):
            continue
        if isinstance(value, bool | int | float | str) or value is None:
            found[key] = value
    return found


def evaluate(
    model: Recommender,
    split: Split,
    k_values: Sequence[int] = (10, 20),
    *,
    stage: Stage = "test",
    name: str | None = None,
    fit: bool = True,
    batch_size: int = DEFAULT_BATCH,
    full_ranking: bool = False,
    users: IntArray | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Fit `model` on `split.fit_data(stage)` (unless `fit` is false), rank all items for every
    user with a target in the stage, and report metrics and timings.

    `users` restricts the evaluated users (the smoke mode); `full_ranking` also asks for
    complete rankings, batch by batch, so that MRR without a cut-off is reported (slow on
    large catalogues)."""
    if not k_values:
        raise invalid(EvaluationError.INVALID_PROTOCOL, "give at least one k")
    fit_data = split.fit_data(stage)
    targets = split.targets(stage)
    fit_seconds = 0.0
    if fit:
        started = time.perf_counter()
        model.fit(fit_data)
        fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    evaluated = np.unique(targets.user_ids)
    if users is not None:
        evaluated = np.intersect1d(evaluated, users)
        targets = targets.subset(np.isin(targets.user_ids, evaluated))
    history = fit_data.to_csr(binary=True)
    recommended = top_k(
        model, evaluated, history, max(k_values), batch_size=batch_size, progress=progress
    )
    report = ranking_report(recommended, evaluated, targets, fit_data, k_values)
    if full_ranking:
        report["mrr"] = full_ranking_mrr(
            model, evaluated, history, targets, batch_size=batch_size, progress=progress
        )
    impressions = split.impressions.get(stage)
    if impressions is not None:
        if users is not None:
            keep = np.isin(impressions.user_ids, users)
            impressions = Impressions(
                impressions.user_ids[keep],
                impressions.item_ids[keep],
                impressions.click[keep],
                impressions.buy[keep],
            )
        scores = score_pairs(
            model, impressions.user_ids, impressions.item_ids, split.n_items, batch_size=batch_size
        )
        report.update(impression_report(scores, impressions))
    return {
        "model": name or type(model).__name__,
        "hyper_parameters": hyper_parameters(model),
        "split": split.name,
        "split_sha256": split.meta.get("content_sha256"),
        "stage": stage,
        "users": len(evaluated),
        "targets": len(_target_keys(targets)),
        "fit_seconds": round(fit_seconds, 3),
        "evaluate_seconds": round(time.perf_counter() - started, 3),
        "metrics": report,
    }

"""Deterministic train/valid/test splits, written to files so every system reads the same rows.

The files are written and read by `split_files`; the Taobao time split lives in `taobao_split`.

Layout: `<eval_dir>/splits/<split>/` holds `train.parquet`, `valid.parquet`, `test.parquet`
(columns `user, item, timestamp`, plus `target` on valid/test and `behaviour` on Taobao),
`items.parquet` (`item, label, category`), `users.parquet` (`user, label`), for Taobao
`impressions_valid.parquet` and `impressions_test.parquet`, and `meta.json` with the protocol,
the counts and `content_sha256`, a hash of every column of every table. `read_split` refuses
files whose content no longer matches that hash.

Protocols:
- `beauty`, `sports` (Amazon): leave-one-out. The last item of each sequence is the test
  target, the second-to-last the validation target, the rest is train.
- `ml100k`: per user, a random 10% of the ratings (rounded, at least one) is test, another 10%
  validation, the rest train; the permutation comes from `numpy.random.default_rng(SEED)`
  over the rows sorted by (user, item), so it does not depend on the file's row order.
- `taobao`, `taobao-buy`: a time split in China time (UTC+8). Days 2017-11-25..12-01 are
  train, 12-02 is validation, 12-03 is test; the valid and test files hold *every* interaction
  of their day (so "fit on train + valid" sees the whole day). The `target` column marks what
  is evaluated: for `taobao`, the first interaction of any kind with each item that the user
  had not interacted with before that day; for `taobao-buy`, the first purchase of each item
  the user had not interacted with before that day. Items seen before are excluded from every
  ranking, so they could never be hit and are not targets.
- Taobao impressions (for click and purchase AUC/GAUC), per stage day and user active that
  day: every distinct item the user interacted with that day is a shown-and-clicked row
  (`click = 1`; `buy = 1` when the user bought it that day), and `NEGATIVES_PER_POSITIVE`
  times as many items the user did not touch that day are shown-not-clicked rows
  (`click = buy = 0`), drawn without replacement with probability proportional to the items'
  interaction counts *on that day* over all users, with `numpy.random.default_rng(SEED + day)`.
  So negatives follow the same item distribution as the day's positives (what was being shown
  that day): a model gains AUC only by knowing which of the day's items suit which user, and
  neither popularity nor item freshness alone separates the classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from xingqu.discovery.evaluation.errors import EvaluationError
from xingqu.discovery.interactions import IntArray, Interactions
from xingqu.shared.errors import invalid

Stage = Literal["valid", "test"]
BoolArray = npt.NDArray[np.bool_]
ByteArray = npt.NDArray[np.int8]

SPLITS: dict[str, str] = {
    "beauty": "beauty",
    "sports": "sports",
    "ml100k": "ml100k",
    "taobao": "taobao",
    "taobao-buy": "taobao",
}
"""Split name → the dataset it is cut from."""

SEED = 2024


@dataclass(frozen=True)
class Impressions:
    """Labelled (user, item) rows for AUC/GAUC of the click and purchase heads."""

    user_ids: IntArray
    item_ids: IntArray
    click: ByteArray
    buy: ByteArray

    def __len__(self) -> int:
        return len(self.user_ids)


@dataclass(frozen=True)
class Split:
    """Three parts over the same index spaces; `valid_target`/`test_target` mark target rows."""

    name: str
    train: Interactions
    valid: Interactions
    test: Interactions
    valid_target: BoolArray
    test_target: BoolArray
    behaviours: dict[str, ByteArray] | None = None  # part → Taobao behaviour codes
    impressions: dict[str, Impressions] = field(default_factory=dict)  # stage → rows
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_users(self) -> int:
        return self.train.n_users

    @property
    def n_items(self) -> int:
        return self.train.n_items

    def fit_data(self, stage: Stage) -> Interactions:
        """What a model is fitted on for a stage: train (valid), or train + valid (test)."""
        if stage == "valid":
            return self.train
        if stage == "test":
            return concat(self.train, self.valid)
        raise invalid(EvaluationError.INVALID_PROTOCOL, f"unknown stage {stage!r}")

    def fit_behaviours(self, stage: Stage) -> ByteArray | None:
        """The behaviour codes aligned with `fit_data(stage)` (Taobao), else None."""
        if self.behaviours is None:
            return None
        if stage == "valid":
            return self.behaviours["train"]
        return np.concatenate([self.behaviours["train"], self.behaviours["valid"]])

    def targets(self, stage: Stage) -> Interactions:
        """The rows a model is evaluated on for a stage."""
        if stage == "valid":
            return self.valid.subset(self.valid_target)
        if stage == "test":
            return self.test.subset(self.test_target)
        raise invalid(EvaluationError.INVALID_PROTOCOL, f"unknown stage {stage!r}")


def concat(first: Interactions, second: Interactions) -> Interactions:
    """Both parts' interactions, first then second (same index spaces)."""

    def both(a: Any, b: Any) -> Any:
        return None if a is None or b is None else np.concatenate([a, b])

    return Interactions(
        user_ids=np.concatenate([first.user_ids, second.user_ids]),
        item_ids=np.concatenate([first.item_ids, second.item_ids]),
        n_users=first.n_users,
        n_items=first.n_items,
        timestamps=both(first.timestamps, second.timestamps),
        weights=both(first.weights, second.weights),
        item_categories=first.item_categories,
        user_labels=first.user_labels,
        item_labels=first.item_labels,
    )


def cut_parts(
    name: str,
    data: Interactions,
    part: npt.NDArray[np.int8],
    *,
    valid_target: BoolArray | None = None,
    test_target: BoolArray | None = None,
    behaviours: ByteArray | None = None,
    meta: dict[str, Any],
) -> Split:
    """Split rows by `part` (0 train, 1 valid, 2 test), each part in (user, time) order."""
    order = data.time_order()
    data = _take(data, order)
    part = part[order]
    masks = [part == p for p in (0, 1, 2)]
    valid_target = (
        np.ones(masks[1].sum(), bool) if valid_target is None else valid_target[order][masks[1]]
    )
    test_target = (
        np.ones(masks[2].sum(), bool) if test_target is None else test_target[order][masks[2]]
    )
    parts = {
        "train": data.subset(masks[0]),
        "valid": data.subset(masks[1]),
        "test": data.subset(masks[2]),
    }
    codes = None
    if behaviours is not None:
        ordered = behaviours[order]
        codes = {key: ordered[mask] for key, mask in zip(parts, masks, strict=True)}
    return Split(
        name=name,
        valid_target=valid_target,
        test_target=test_target,
        behaviours=codes,
        meta=meta,
        train=parts["train"],
        valid=parts["valid"],
        test=parts["test"],
    )


def _take(data: Interactions, index: IntArray) -> Interactions:
    return Interactions(
        user_ids=data.user_ids[index],
        item_ids=data.item_ids[index],
        n_users=data.n_users,
        n_items=data.n_items,
        timestamps=None if data.timestamps is None else data.timestamps[index],
        weights=None if data.weights is None else data.weights[index],
        item_categories=data.item_categories,
        user_labels=data.user_labels,
        item_labels=data.item_labels,
    )


def _position_from_end(users: IntArray) -> IntArray:
    """For rows sorted by user: 0 for each user's last row, 1 for the one before, ..."""
    n = len(users)
    starts = np.r_[0, np.flatnonzero(np.diff(users)) + 1]
    ends = np.r_[starts[1:], n]
    lengths = ends - starts
    within = np.arange(n) - np.repeat(starts, lengths)
    return np.repeat(lengths, lengths) - 1 - within


def leave_one_out(name: str, data: Interactions) -> Split:
    """Last interaction of each user → test, second-to-last → valid (users with ≥ 3)."""
    order = data.time_order()
    from_end = np.empty(len(data), dtype=np.int64)
    from_end[order] = _position_from_end(data.user_ids[order])
    counts = np.bincount(data.user_ids, minlength=data.n_users)
    long_enough = counts[data.user_ids] >= 3
    part = np.zeros(len(data), dtype=np.int8)
    part[(from_end == 0) & long_enough] = 2
    part[(from_end == 1) & long_enough] = 1
    meta = {"protocol": "leave-one-out: last = test, second-to-last = valid"}
    return cut_parts(name, data, part, meta=meta)


def random_per_user(
    name: str, data: Interactions, *, seed: int, valid_share: float = 0.1, test_share: float = 0.1
) -> Split:
    """Per user, a random `test_share` of the rows → test, `valid_share` → valid, rest train."""
    canonical = np.lexsort((data.item_ids, data.user_ids))
    data = _take(data, canonical)
    keys = np.random.default_rng(seed).random(len(data))
    shuffled = np.lexsort((keys, data.user_ids))
    users = data.user_ids[shuffled]
    counts = np.bincount(data.user_ids, minlength=data.n_users)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    rank = np.arange(len(data)) - starts[users]
    n_test = np.maximum(1, np.rint(counts * test_share)).astype(np.int64)
    n_valid = np.maximum(1, np.rint(counts * valid_share)).astype(np.int64)
    enough = counts[users] >= 3
    part_sorted = np.zeros(len(data), dtype=np.int8)
    part_sorted[enough & (rank < n_test[users])] = 2
    part_sorted[enough & (rank >= n_test[users]) & (rank < n_test[users] + n_valid[users])] = 1
    part = np.empty_like(part_sorted)
    part[shuffled] = part_sorted
    meta = {
        "protocol": f"random per user: {test_share:.0%} test, {valid_share:.0%} valid, rest train",
        "seed": seed,
    }
    return cut_parts(name, data, part, meta=meta)


def restrict_users(split: Split, users: IntArray) -> Split:
    """The same split with only `users`' rows (index spaces unchanged): the smoke mode."""
    chosen = np.unique(users)

    def keep(data: Interactions) -> BoolArray:
        return np.isin(data.user_ids, chosen)

    masks = {part: keep(getattr(split, part)) for part in ("train", "valid", "test")}
    impressions = {
        stage: Impressions(
            rows.user_ids[np.isin(rows.user_ids, chosen)],
            rows.item_ids[np.isin(rows.user_ids, chosen)],
            rows.click[np.isin(rows.user_ids, chosen)],
            rows.buy[np.isin(rows.user_ids, chosen)],
        )
        for stage, rows in split.impressions.items()
    }
    return Split(
        name=split.name,
        train=split.train.subset(masks["train"]),
        valid=split.valid.subset(masks["valid"]),
        test=split.test.subset(masks["test"]),
        valid_target=split.valid_target[masks["valid"]],
        test_target=split.test_target[masks["test"]],
        behaviours=None
        if split.behaviours is None
        else {part: codes[masks[part]] for part, codes in split.behaviours.items()},
        impressions=impressions,
        meta={**split.meta, "restricted_to_users": len(chosen)},
    )


def sample_users(split: Split, n_users: int, *, seed: int = SEED) -> IntArray:
    """`n_users` users (or all) that have test targets, drawn with a fixed seed."""
    candidates = np.intersect1d(
        np.unique(split.targets("test").user_ids), np.unique(split.targets("valid").user_ids)
    )
    if len(candidates) <= n_users:
        return candidates
    return np.sort(np.random.default_rng(seed).choice(candidates, size=n_users, replace=False))

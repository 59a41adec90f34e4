"""Deterministic train/valid/test splits, written to files so every system reads the same rows.

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
  interaction counts in the stage's fit data (what a popularity-driven feed would show), with
  `numpy.random.default_rng(SEED + day)`. Items never seen before the day cannot be drawn.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from xingqu.discovery.evaluation.datasets import (
    TAOBAO_BUY,
    TAOBAO_START,
    Dataset,
    load_dataset,
)
from xingqu.discovery.evaluation.errors import EvaluationError
from xingqu.discovery.interactions import IntArray, Interactions
from xingqu.shared.errors import DomainError, ErrorKind, invalid

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
NEGATIVES_PER_POSITIVE = 4
DAY_SECONDS = 86_400
TAOBAO_VALID_DAY = 7  # 2017-12-02, counted from 2017-11-25 (China time)
TAOBAO_TEST_DAY = 8  # 2017-12-03
FORMAT_VERSION = 1


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


# --- cutting ---------------------------------------------------------------------------------


def build_split(name: str, dataset: Dataset) -> Split:
    """Cut a loaded dataset with the protocol of split `name` (see the module docstring)."""
    if SPLITS.get(name) != dataset.name:
        raise invalid(
            EvaluationError.UNKNOWN_DATASET,
            f"split {name!r} is not cut from dataset {dataset.name!r}",
            known=sorted(SPLITS),
        )
    if dataset.name in ("beauty", "sports"):
        return leave_one_out(name, dataset.interactions)
    if dataset.name == "ml100k":
        return random_per_user(name, dataset.interactions, seed=SEED)
    if dataset.behaviours is None:
        raise invalid(EvaluationError.INVALID_PROTOCOL, "the Taobao split needs behaviours")
    return taobao_by_day(
        name, dataset.interactions, dataset.behaviours, buy_only=name.endswith("-buy")
    )


def _parts(
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
    return _parts(name, data, part, meta=meta)


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
    return _parts(name, data, part, meta=meta)


def taobao_by_day(name: str, data: Interactions, behaviours: ByteArray, *, buy_only: bool) -> Split:
    """Days before 12-02 → train, 12-02 → valid, 12-03 → test; targets as in the docstring."""
    if data.timestamps is None:
        raise invalid(EvaluationError.INVALID_PROTOCOL, "a time split needs timestamps")
    day = (data.timestamps - TAOBAO_START) // DAY_SECONDS
    part = np.where(day >= TAOBAO_TEST_DAY, 2, np.where(day == TAOBAO_VALID_DAY, 1, 0)).astype(
        np.int8
    )
    targets = {
        stage_day: _new_item_rows(data, behaviours, day, stage_day, buy_only=buy_only)
        for stage_day in (TAOBAO_VALID_DAY, TAOBAO_TEST_DAY)
    }
    meta = {
        "protocol": "time split (UTC+8 days): train < 2017-12-02, valid = 12-02, test = 12-03",
        "target": "first purchase of a new item"
        if buy_only
        else "first interaction with a new item",
        "negatives_per_positive": NEGATIVES_PER_POSITIVE,
        "seed": SEED,
    }
    split = _parts(
        name,
        data,
        part,
        valid_target=targets[TAOBAO_VALID_DAY],
        test_target=targets[TAOBAO_TEST_DAY],
        behaviours=behaviours,
        meta=meta,
    )
    impressions: dict[str, Impressions] = {
        "valid": taobao_impressions(split, "valid"),
        "test": taobao_impressions(split, "test"),
    }
    return replace(split, impressions=impressions)


def _new_item_rows(
    data: Interactions, behaviours: ByteArray, day: IntArray, stage_day: int, *, buy_only: bool
) -> BoolArray:
    """Rows of `stage_day` that are the first (purchase of / interaction with) an item the user
    had not interacted with before that day."""
    n_items = data.n_items
    before = data.user_ids[day < stage_day] * n_items + data.item_ids[day < stage_day]
    keys = data.user_ids * n_items + data.item_ids
    candidate = (day == stage_day) & ~np.isin(keys, before)
    if buy_only:
        candidate &= behaviours == TAOBAO_BUY
    # among candidate rows, keep the earliest row of each (user, item)
    order = np.lexsort(
        (np.arange(len(data)), day if data.timestamps is None else data.timestamps, keys)
    )
    ordered = order[candidate[order]]
    ordered_keys = keys[ordered]
    chosen = np.zeros(len(data), dtype=bool)
    chosen[ordered[np.r_[True, ordered_keys[1:] != ordered_keys[:-1]]]] = True
    return chosen


def taobao_impressions(split: Split, stage: Stage) -> Impressions:
    """Clicked rows and sampled shown-not-clicked rows for one stage day (module docstring)."""
    day_part = split.valid if stage == "valid" else split.test
    codes = (split.behaviours or {})["valid" if stage == "valid" else "test"]
    fit = split.fit_data(stage)
    n_items = split.n_items
    popularity = np.bincount(fit.item_ids, minlength=n_items).astype(np.float64)
    keys = day_part.user_ids * n_items + day_part.item_ids
    bought = np.unique(keys[codes == TAOBAO_BUY])
    positives = np.unique(keys)
    rng = np.random.default_rng(SEED + (TAOBAO_VALID_DAY if stage == "valid" else TAOBAO_TEST_DAY))
    pos_users = positives // n_items
    users, starts = np.unique(pos_users, return_index=True)
    ends = np.r_[starts[1:], len(positives)]
    drawable = np.flatnonzero(popularity > 0)
    weights = popularity[drawable] / popularity[drawable].sum()
    neg_users: list[IntArray] = []
    neg_items: list[IntArray] = []
    for user, start, end in zip(users.tolist(), starts.tolist(), ends.tolist(), strict=True):
        own = positives[start:end] % n_items
        allowed = ~np.isin(drawable, own)
        wanted = min(NEGATIVES_PER_POSITIVE * len(own), int(allowed.sum()))
        if wanted == 0:
            continue
        p = weights * allowed
        chosen = rng.choice(drawable, size=wanted, replace=False, p=p / p.sum())
        neg_users.append(np.full(wanted, user, dtype=np.int64))
        neg_items.append(np.sort(chosen).astype(np.int64))
    all_users = np.concatenate([pos_users, *neg_users])
    all_items = np.concatenate([positives % n_items, *neg_items])
    click = np.r_[
        np.ones(len(positives), np.int8), np.zeros(len(all_users) - len(positives), np.int8)
    ]
    buy = np.r_[
        np.isin(positives, bought).astype(np.int8),
        np.zeros(len(all_users) - len(positives), np.int8),
    ]
    order = np.lexsort((all_items, all_users))
    return Impressions(all_users[order], all_items[order], click[order], buy[order])


# --- files -----------------------------------------------------------------------------------


def splits_dir(eval_dir: Path | None = None) -> Path:
    return (eval_dir if eval_dir is not None else Path("var") / "eval") / "splits"


def split_path(name: str, eval_dir: Path | None = None) -> Path:
    if name not in SPLITS:
        raise invalid(
            EvaluationError.UNKNOWN_DATASET,
            f"unknown split {name!r}; known: {', '.join(SPLITS)}",
        )
    return splits_dir(eval_dir) / name


def _part_table(split: Split, part: str) -> pa.Table:
    data: Interactions = getattr(split, part)
    columns: dict[str, Any] = {
        "user": pa.array(data.user_ids, pa.int64()),
        "item": pa.array(data.item_ids, pa.int64()),
        "timestamp": pa.array(
            data.timestamps if data.timestamps is not None else np.zeros(len(data), np.int64),
            pa.int64(),
        ),
    }
    if part != "train":
        columns["target"] = pa.array(getattr(split, f"{part}_target"), pa.bool_())
    if split.behaviours is not None:
        columns["behaviour"] = pa.array(split.behaviours[part], pa.int8())
    return pa.table(columns)


def _tables(split: Split) -> dict[str, pa.Table]:
    train = split.train
    n_items, n_users = split.n_items, split.n_users
    categories = (
        train.item_categories
        if train.item_categories is not None
        else np.full(n_items, -1, dtype=np.int64)
    )
    tables = {part: _part_table(split, part) for part in ("train", "valid", "test")}
    tables["items"] = pa.table(
        {
            "item": pa.array(np.arange(n_items), pa.int64()),
            "label": pa.array(train.item_labels or [str(i) for i in range(n_items)], pa.string()),
            "category": pa.array(categories, pa.int64()),
        }
    )
    tables["users"] = pa.table(
        {
            "user": pa.array(np.arange(n_users), pa.int64()),
            "label": pa.array(train.user_labels or [str(u) for u in range(n_users)], pa.string()),
        }
    )
    for stage, rows in sorted(split.impressions.items()):
        tables[f"impressions_{stage}"] = pa.table(
            {
                "user": pa.array(rows.user_ids, pa.int64()),
                "item": pa.array(rows.item_ids, pa.int64()),
                "click": pa.array(rows.click, pa.int8()),
                "buy": pa.array(rows.buy, pa.int8()),
            }
        )
    return tables


def content_hash(tables: dict[str, pa.Table]) -> str:
    """sha256 over every table's name, column names and values, in a fixed order."""
    digest = hashlib.sha256()
    for name in sorted(tables):
        table = tables[name]
        digest.update(f"{name}:{','.join(table.column_names)}\n".encode())
        for column in table.column_names:
            values = table.column(column)
            if pa.types.is_string(values.type):
                digest.update("\x1f".join(values.to_pylist()).encode())
            else:
                digest.update(np.ascontiguousarray(values.to_numpy()).tobytes())
    return digest.hexdigest()


def write_split(split: Split, directory: Path) -> Path:
    """Write the split's files and `meta.json` into `directory` (replacing what is there)."""
    directory.mkdir(parents=True, exist_ok=True)
    tables = _tables(split)
    for name, table in tables.items():
        partial = directory / f"{name}.parquet.partial"
        pq.write_table(table, partial, compression="zstd")
        partial.replace(directory / f"{name}.parquet")
    meta = {
        **split.meta,
        "split": split.name,
        "format_version": FORMAT_VERSION,
        "n_users": split.n_users,
        "n_items": split.n_items,
        "rows": {name: table.num_rows for name, table in tables.items()},
        "targets": {"valid": int(split.valid_target.sum()), "test": int(split.test_target.sum())},
        "tables": sorted(tables),
        "content_sha256": content_hash(tables),
    }
    (directory / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return directory


def prepare_split(
    name: str, *, eval_dir: Path | None = None, data_root: Path | None = None, force: bool = False
) -> Path:
    """Make sure split `name`'s files exist (cutting them from the dataset when missing)."""
    directory = split_path(name, eval_dir)
    if force or not (directory / "meta.json").is_file():
        write_split(build_split(name, load_dataset(SPLITS[name], data_root)), directory)
    return directory


def read_split(directory: Path) -> Split:
    """Read a split written by `write_split`, checking its content hash."""
    meta_path = directory / "meta.json"
    if not meta_path.is_file():
        raise DomainError(
            EvaluationError.SPLIT_MISSING,
            f"no split files in {directory}; make them with prepare_split",
            ErrorKind.NOT_FOUND,
            {"path": str(directory)},
        )
    meta = json.loads(meta_path.read_text())
    tables = {name: pq.read_table(directory / f"{name}.parquet") for name in meta["tables"]}
    if content_hash(tables) != meta["content_sha256"]:
        raise DomainError(
            EvaluationError.SPLIT_CORRUPT,
            f"the files in {directory} do not match meta.json's content hash; re-make the split",
            ErrorKind.CONFLICT,
            {"path": str(directory)},
        )
    items = tables["items"]
    n_users, n_items = int(meta["n_users"]), int(meta["n_items"])
    categories = items.column("category").to_numpy().astype(np.int64)
    item_labels = items.column("label").to_pylist()
    user_labels = tables["users"].column("label").to_pylist()

    def part(name: str) -> Interactions:
        table = tables[name]
        return Interactions(
            user_ids=table.column("user").to_numpy().astype(np.int64),
            item_ids=table.column("item").to_numpy().astype(np.int64),
            n_users=n_users,
            n_items=n_items,
            timestamps=table.column("timestamp").to_numpy().astype(np.int64),
            item_categories=None if (categories < 0).all() else categories,
            user_labels=user_labels,
            item_labels=item_labels,
        )

    behaviours = None
    if "behaviour" in tables["train"].column_names:
        behaviours = {
            name: tables[name].column("behaviour").to_numpy().astype(np.int8)
            for name in ("train", "valid", "test")
        }
    impressions = {
        stage: Impressions(
            *(
                tables[f"impressions_{stage}"].column(c).to_numpy().astype(t)
                for c, t in (
                    ("user", np.int64),
                    ("item", np.int64),
                    ("click", np.int8),
                    ("buy", np.int8),
                )
            )
        )
        for stage in ("valid", "test")
        if f"impressions_{stage}" in tables
    }
    return Split(
        name=str(meta["split"]),
        train=part("train"),
        valid=part("valid"),
        test=part("test"),
        valid_target=tables["valid"].column("target").to_numpy(zero_copy_only=False).astype(bool),
        test_target=tables["test"].column("target").to_numpy(zero_copy_only=False).astype(bool),
        behaviours=behaviours,
        impressions=impressions,
        meta=meta,
    )


def load_split(name: str, *, eval_dir: Path | None = None, data_root: Path | None = None) -> Split:
    """The split `name`, from its files (made first when they do not exist yet)."""
    return read_split(prepare_split(name, eval_dir=eval_dir, data_root=data_root))


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

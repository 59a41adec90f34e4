"""Split files: cut a dataset, write its parts as Parquet with a content hash, read them back.

See `splits` for the layout and the protocols.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from xingqu.discovery.evaluation.datasets import Dataset, load_dataset
from xingqu.discovery.evaluation.errors import EvaluationError
from xingqu.discovery.evaluation.splits import (
    SEED,
    SPLITS,
    Impressions,
    Split,
    leave_one_out,
    random_per_user,
)
from xingqu.discovery.evaluation.taobao_split import taobao_by_day
from xingqu.discovery.interactions import Interactions
from xingqu.shared.errors import DomainError, ErrorKind, invalid

FORMAT_VERSION = 1


def build_split(name: str, dataset: Dataset) -> Split:
    """Cut a loaded dataset with the protocol of split `name` (see `splits`)."""
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

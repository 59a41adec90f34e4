"""Loaders for the public benchmark datasets, each returned as an `Interactions`.

The files live beside the checkout (`../shared/data`, or `$XINGQU_SHARED_DATA`); they are for
evaluation only and never part of the project. A missing file raises `DatasetUnavailable`.

Indices are dense and deterministic: users and items are numbered in ascending order of their
original ids, so the same files always give the same indices.

Item categories (for the discovery rate):
- Amazon (S3Rec files): an item's attribute list is `[brand] + category path(s)`, root first.
  An attribute that only ever appears first in a list is a brand. The category is the first
  non-brand attribute that fewer than half of the items carry (so a near-universal root such
  as "Sports & Outdoors" is skipped): Beauty has 8 such categories (skin care, make-up, ...),
  Sports about 50.
- MovieLens-100k: the first genre flagged in `u.item`, in `u.genre` order, skipping "unknown".
- Taobao: the category column; an item keeps the category of its first row.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from xingqu.discovery.evaluation.errors import DatasetUnavailable, EvaluationError
from xingqu.discovery.interactions import IntArray, Interactions
from xingqu.shared.errors import invalid

DATASETS = ("beauty", "sports", "ml100k", "taobao")
"""Names accepted by `load_dataset`."""

AMAZON_FILES = {"beauty": "Beauty", "sports": "Sports_and_Outdoors"}

TAOBAO_BEHAVIOURS = ("pv", "cart", "fav", "buy")
"""Behaviour codes of the Taobao sample: the value stored per interaction is the index here."""
TAOBAO_BUY = TAOBAO_BEHAVIOURS.index("buy")
TAOBAO_START = 1511539200  # 2017-11-25 00:00 in China (UTC+8): the official window
TAOBAO_END = 1512316800  # 2017-12-04 00:00 in China (UTC+8), exclusive
TAOBAO_FILE = "userbehavior_head_84474.csv"

_ROOT_SHARE = 0.5  # an Amazon attribute carried by at least this share of items is a root


@dataclass(frozen=True)
class Dataset:
    """A loaded public dataset: its interactions, plus the behaviour type of each interaction
    where the data has several (Taobao: an index into `TAOBAO_BEHAVIOURS`)."""

    name: str
    interactions: Interactions
    behaviours: npt.NDArray[np.int8] | None = None


def data_root() -> Path:
    """`$XINGQU_SHARED_DATA`, else `../shared/data` beside the repository root."""
    configured = os.environ.get("XINGQU_SHARED_DATA")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[4].parent / "shared" / "data"


def dataset_path(name: str, root: Path | None = None) -> Path:
    """The main file a dataset is read from (whether or not it exists)."""
    base = root if root is not None else data_root()
    if name in AMAZON_FILES:
        return base / "amazon-5core-s3rec" / f"{AMAZON_FILES[name]}.txt"
    if name == "ml100k":
        return base / "movielens-100k" / "original" / "u.data"
    if name == "taobao":
        return base / "taobao-userbehavior-sample" / TAOBAO_FILE
    raise invalid(
        EvaluationError.UNKNOWN_DATASET, f"unknown dataset {name!r}; known: {', '.join(DATASETS)}"
    )


def dataset_available(name: str, root: Path | None = None) -> bool:
    return dataset_path(name, root).is_file()


def load_dataset(name: str, root: Path | None = None) -> Dataset:
    """Load one of `DATASETS`."""
    path = dataset_path(name, root)
    if not path.is_file():
        raise DatasetUnavailable(name, path)
    if name in AMAZON_FILES:
        return load_amazon(path, name)
    if name == "ml100k":
        return load_movielens_100k(path)
    return load_taobao(path)


def _require(name: str, path: Path) -> None:
    if not path.is_file():
        raise DatasetUnavailable(name, path)


def _dense(labels: npt.NDArray[np.int64]) -> tuple[IntArray, list[str]]:
    """Dense indices in ascending order of the original ids, and those ids as strings."""
    unique, inverse = np.unique(labels, return_inverse=True)
    return inverse.astype(np.int64), [str(v) for v in unique.tolist()]


def load_amazon(path: Path, name: str = "amazon") -> Dataset:
    """S3Rec's Amazon 5-core file: `user item item ...` per line, items in time order.

    The files carry no timestamps: an interaction's timestamp is its position in the user's
    sequence (0, 1, 2, ...), which keeps the order every sequential model needs."""
    _require(name, path)
    users: list[int] = []
    items: list[int] = []
    positions: list[int] = []
    with path.open() as lines:
        for line in lines:
            fields = line.split()
            if not fields:
                continue
            user, sequence = int(fields[0]), [int(v) for v in fields[1:]]
            users.extend([user] * len(sequence))
            items.extend(sequence)
            positions.extend(range(len(sequence)))
    user_ids, user_labels = _dense(np.asarray(users, dtype=np.int64))
    item_ids, item_labels = _dense(np.asarray(items, dtype=np.int64))
    attributes_path = path.with_name(f"{path.stem}_item2attributes.json")
    categories = (
        amazon_categories(json.loads(attributes_path.read_text()), item_labels)
        if attributes_path.is_file()
        else None
    )
    interactions = Interactions(
        user_ids=user_ids,
        item_ids=item_ids,
        n_users=len(user_labels),
        n_items=len(item_labels),
        timestamps=np.asarray(positions, dtype=np.int64),
        item_categories=categories,
        user_labels=user_labels,
        item_labels=item_labels,
    )
    return Dataset(name, interactions)


def amazon_categories(attributes: dict[str, list[int]], item_labels: list[str]) -> IntArray:
    """One category index per item (-1 when it has none); see the module docstring."""
    later = {a for values in attributes.values() for a in values[1:]}
    brands = {values[0] for values in attributes.values() if values and values[0] not in later}
    carried = Counter(a for values in attributes.values() for a in set(values))
    root_count = _ROOT_SHARE * len(attributes)
    chosen: list[int] = []
    for label in item_labels:
        candidates = [a for a in attributes.get(label, []) if a not in brands]
        chosen.append(next((a for a in candidates if carried[a] < root_count), -1))
    return _category_indices(chosen)


def _category_indices(raw: list[int]) -> IntArray:
    """Original category ids (-1 = unknown) to dense indices in ascending id order."""
    known = sorted({c for c in raw if c >= 0})
    index = {c: i for i, c in enumerate(known)}
    return np.asarray([index.get(c, -1) for c in raw], dtype=np.int64)


def load_movielens_100k(path: Path) -> Dataset:
    """`u.data` (user, item, rating, timestamp; tab-separated). Every rating is one implicit
    interaction (the rating is not used: weights stay unset), as in RecBole's ml-100k runs."""
    _require("ml100k", path)
    raw = np.loadtxt(path, dtype=np.int64, delimiter="\t", ndmin=2)
    user_ids, user_labels = _dense(raw[:, 0])
    item_ids, item_labels = _dense(raw[:, 1])
    genres_path = path.with_name("u.item")
    categories = movielens_genres(genres_path, item_labels) if genres_path.is_file() else None
    interactions = Interactions(
        user_ids=user_ids,
        item_ids=item_ids,
        n_users=len(user_labels),
        n_items=len(item_labels),
        timestamps=raw[:, 3].copy(),
        item_categories=categories,
        user_labels=user_labels,
        item_labels=item_labels,
    )
    return Dataset("ml100k", interactions)


def movielens_genres(path: Path, item_labels: list[str]) -> IntArray:
    """The first flagged genre of each item (0 = unknown is skipped; -1 when none)."""
    first_genre: dict[str, int] = {}
    with path.open(encoding="latin-1") as lines:
        for line in lines:
            fields = line.rstrip("\n").split("|")
            if len(fields) < 6:
                continue
            flags = fields[-19:]
            first_genre[fields[0]] = next(
                (g for g, flag in enumerate(flags) if flag == "1" and g > 0), -1
            )
    return np.asarray([first_genre.get(label, -1) for label in item_labels], dtype=np.int64)


def load_taobao(path: Path) -> Dataset:
    """The Taobao UserBehavior sample: `user,item,category,behavior,timestamp`, no header.

    Rows outside the official window [2017-11-25, 2017-12-04) China time are dropped, as in
    most papers (the raw data has a few). `behaviours` holds the `TAOBAO_BEHAVIOURS` index."""
    _require("taobao", path)
    code = {name: i for i, name in enumerate(TAOBAO_BEHAVIOURS)}
    columns: list[list[int]] = [[], [], [], [], []]
    with path.open() as lines:
        for line in lines:
            fields = line.strip().split(",")
            if len(fields) != 5 or fields[3] not in code:
                continue
            timestamp = int(fields[4])
            if not TAOBAO_START <= timestamp < TAOBAO_END:
                continue
            columns[0].append(int(fields[0]))
            columns[1].append(int(fields[1]))
            columns[2].append(int(fields[2]))
            columns[3].append(code[fields[3]])
            columns[4].append(timestamp)
    users, items, categories, behaviours, timestamps = (
        np.asarray(c, dtype=np.int64) for c in columns
    )
    user_ids, user_labels = _dense(users)
    item_ids, item_labels = _dense(items)
    item_category = np.full(len(item_labels), -1, dtype=np.int64)
    first_rows = np.unique(item_ids, return_index=True)[1]
    item_category[item_ids[first_rows]] = categories[first_rows]
    interactions = Interactions(
        user_ids=user_ids,
        item_ids=item_ids,
        n_users=len(user_labels),
        n_items=len(item_labels),
        timestamps=timestamps,
        item_categories=_category_indices(item_category.tolist()),
        user_labels=user_labels,
        item_labels=item_labels,
    )
    return Dataset("taobao", interactions, behaviours.astype(np.int8))

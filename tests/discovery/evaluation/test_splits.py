"""Splits: protocols on small known data, files, hashes, and the real datasets when present."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from tests.discovery.evaluation.shared_data import require_dataset
from xingqu.discovery.evaluation import split_files, splits
from xingqu.discovery.evaluation.datasets import TAOBAO_START, Dataset
from xingqu.discovery.evaluation.errors import EvaluationError
from xingqu.discovery.interactions import Interactions
from xingqu.shared.errors import DomainError

DAY = 86_400


def interactions(
    users: list[int], items: list[int], stamps: list[int], n_items: int = 10
) -> Interactions:
    return Interactions(
        user_ids=np.asarray(users, dtype=np.int64),
        item_ids=np.asarray(items, dtype=np.int64),
        n_users=max(users) + 1,
        n_items=n_items,
        timestamps=np.asarray(stamps, dtype=np.int64),
        item_categories=np.arange(n_items, dtype=np.int64) % 3,
    )


def test_leave_one_out_takes_the_last_two_interactions_in_time_order() -> None:
    # given user 0 with 4 items given out of time order, user 1 with only 2 items
    data = interactions([0, 0, 0, 0, 1, 1], [5, 6, 7, 8, 1, 2], [3, 0, 2, 1, 0, 1])
    # when
    split = splits.leave_one_out("beauty", data)
    # then
    assert split.train.item_ids.tolist() == [6, 8, 1, 2]  # user 1 is too short to hold out
    assert split.valid.item_ids.tolist() == [7]
    assert split.test.item_ids.tolist() == [5]
    assert split.fit_data("test").item_ids.tolist() == [6, 8, 1, 2, 7]
    assert split.targets("test").user_ids.tolist() == [0]


def test_random_split_is_per_user_deterministic_and_independent_of_row_order() -> None:
    # given 3 users with 20 interactions each, and the same rows reversed
    users = [u for u in range(3) for _ in range(20)]
    items = [(u * 7 + i) % 40 for u in range(3) for i in range(20)]
    data = interactions(users, items, list(range(60)), n_items=40)
    reversed_data = interactions(users[::-1], items[::-1], list(range(60))[::-1], n_items=40)
    # when
    first = splits.random_per_user("ml100k", data, seed=7)
    again = splits.random_per_user("ml100k", reversed_data, seed=7)
    other_seed = splits.random_per_user("ml100k", data, seed=8)
    # then: 2 test, 2 valid, 16 train per user; same rows whatever the input order
    for part, size in (("train", 16), ("valid", 2), ("test", 2)):
        counts = np.bincount(getattr(first, part).user_ids, minlength=3)
        assert counts.tolist() == [size] * 3
    assert sorted(first.test.item_ids.tolist()) == sorted(again.test.item_ids.tolist())
    assert sorted(first.test.item_ids.tolist()) != sorted(other_seed.test.item_ids.tolist())
    keys = [
        set(
            zip(
                getattr(first, p).user_ids.tolist(),
                getattr(first, p).item_ids.tolist(),
                strict=True,
            )
        )
        for p in ("train", "valid", "test")
    ]
    assert not (keys[0] & keys[1] or keys[0] & keys[2] or keys[1] & keys[2])


def taobao_dataset() -> Dataset:
    # user 0: views item 1 on day 0; on the valid day (7) views 1 again, views 2, buys 3;
    # on the test day (8) views 2 (seen), buys 4 twice, views 5. user 1: views 6 on day 8 only.
    day = lambda d, s=0: TAOBAO_START + d * DAY + s  # noqa: E731
    rows = [
        (0, 1, day(0), 0),
        (0, 1, day(7), 0),
        (0, 2, day(7, 5), 0),
        (0, 3, day(7, 9), 3),
        (0, 2, day(8), 0),
        (0, 4, day(8, 1), 3),
        (0, 4, day(8, 2), 3),
        (0, 5, day(8, 3), 0),
        (1, 6, day(8), 0),
    ]
    users, items, stamps, codes = (list(c) for c in zip(*rows, strict=True))
    data = interactions(users, items, stamps, n_items=8)
    return Dataset("taobao", data, np.asarray(codes, dtype=np.int8))


def test_taobao_time_split_marks_new_item_targets_for_any_interaction_and_purchases() -> None:
    # when
    any_kind = split_files.build_split("taobao", taobao_dataset())
    buys = split_files.build_split("taobao-buy", taobao_dataset())
    # then: the valid and test files hold every row of their day
    assert any_kind.train.item_ids.tolist() == [1]
    assert any_kind.valid.item_ids.tolist() == [1, 2, 3]
    assert len(any_kind.test) == 5
    assert any_kind.fit_behaviours("test") is not None
    # any kind: first interaction with an item new to the user that day
    valid = any_kind.targets("valid")
    assert list(zip(valid.user_ids.tolist(), valid.item_ids.tolist(), strict=True)) == [
        (0, 2),
        (0, 3),
    ]
    test = any_kind.targets("test")
    assert sorted(zip(test.user_ids.tolist(), test.item_ids.tolist(), strict=True)) == [
        (0, 4),
        (0, 5),
        (1, 6),
    ]
    # purchases: only the first purchase of a new item
    assert buys.targets("valid").item_ids.tolist() == [3]
    assert buys.targets("test").item_ids.tolist() == [4]


def test_taobao_impressions_hold_day_items_and_sampled_unseen_negatives() -> None:
    # when
    split = split_files.build_split("taobao", taobao_dataset())
    rows = split.impressions["test"]
    # then: user 0 clicked 2, 4, 5 (bought 4) on the test day; user 1 clicked 6
    clicked = {
        (u, i, b)
        for u, i, c, b in zip(
            rows.user_ids.tolist(),
            rows.item_ids.tolist(),
            rows.click.tolist(),
            rows.buy.tolist(),
            strict=True,
        )
        if c
    }
    assert clicked == {(0, 2, 0), (0, 4, 1), (0, 5, 0), (1, 6, 0)}
    negatives = [
        (u, i)
        for u, i, c in zip(
            rows.user_ids.tolist(), rows.item_ids.tolist(), rows.click.tolist(), strict=True
        )
        if not c
    ]
    # negatives are the day's other items (2, 4, 5 and 6 were active on the test day), at most
    # four per positive: user 0 can only get 6, user 1 gets all of 2, 4, 5
    assert negatives == [(0, 6), (1, 2), (1, 4), (1, 5)]


def test_split_files_round_trip_with_a_content_hash(eval_dir: Path) -> None:
    # given
    split = split_files.build_split("taobao", taobao_dataset())
    directory = eval_dir / "splits" / "taobao"
    # when
    split_files.write_split(split, directory)
    back = split_files.read_split(directory)
    # then
    meta = json.loads((directory / "meta.json").read_text())
    assert meta["split"] == "taobao" and len(meta["content_sha256"]) == 64
    assert sorted(p.name for p in directory.iterdir()) == [
        "impressions_test.parquet",
        "impressions_valid.parquet",
        "items.parquet",
        "meta.json",
        "test.parquet",
        "train.parquet",
        "users.parquet",
        "valid.parquet",
    ]
    assert back.test.item_ids.tolist() == split.test.item_ids.tolist()
    assert back.test_target.tolist() == split.test_target.tolist()
    assert back.behaviours is not None and back.behaviours["valid"].tolist() == [0, 0, 3]
    assert back.impressions["valid"].click.tolist() == split.impressions["valid"].click.tolist()
    assert back.train.item_categories is not None
    assert back.train.item_categories.tolist() == split.train.item_categories.tolist()  # type: ignore[union-attr]
    # and writing the same split again gives the same hash
    split_files.write_split(split, eval_dir / "again")
    assert (
        json.loads((eval_dir / "again" / "meta.json").read_text())["content_sha256"]
        == meta["content_sha256"]
    )


def test_edited_split_files_are_refused(eval_dir: Path) -> None:
    # given a written split whose test file is then changed
    directory = split_files.write_split(
        split_files.build_split("taobao", taobao_dataset()), eval_dir / "s"
    )
    table = pq.read_table(directory / "test.parquet")
    pq.write_table(table.slice(1), directory / "test.parquet")
    # when / then
    with pytest.raises(DomainError) as raised:
        split_files.read_split(directory)
    assert raised.value.code == EvaluationError.SPLIT_CORRUPT


def test_missing_split_and_unknown_names_are_typed_errors(eval_dir: Path) -> None:
    with pytest.raises(DomainError) as missing:
        split_files.read_split(eval_dir / "nothing")
    assert missing.value.code == EvaluationError.SPLIT_MISSING
    with pytest.raises(DomainError) as unknown:
        split_files.split_path("netflix", eval_dir)
    assert unknown.value.code == EvaluationError.UNKNOWN_DATASET
    with pytest.raises(DomainError) as mismatch:
        split_files.build_split("beauty", taobao_dataset())
    assert mismatch.value.code == EvaluationError.UNKNOWN_DATASET


def test_restrict_users_keeps_only_their_rows() -> None:
    split = split_files.build_split("taobao", taobao_dataset())
    small = splits.restrict_users(split, np.array([1]))
    assert small.test.user_ids.tolist() == [1]
    assert len(small.train) == 0
    assert set(small.impressions["test"].user_ids.tolist()) == {1}


@pytest.mark.parametrize(
    ("name", "valid", "test"), [("beauty", 22363, 22363), ("ml100k", 9988, 9988)]
)
def test_real_splits_have_the_published_shape(
    eval_dir: Path, name: str, valid: int, test: int
) -> None:
    # given
    require_dataset(splits.SPLITS[name])
    # when
    split = split_files.load_split(name, eval_dir=eval_dir)
    # then
    assert (len(split.targets("valid")), len(split.targets("test"))) == (valid, test)
    assert len(split.train) + len(split.valid) + len(split.test) == len(
        split.fit_data("test")
    ) + len(split.test)
    hash_before = split.meta["content_sha256"]
    rebuilt = split_files.prepare_split(name, eval_dir=eval_dir / "other", force=True)
    assert json.loads((rebuilt / "meta.json").read_text())["content_sha256"] == hash_before

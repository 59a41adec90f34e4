"""Dataset loaders on small files in the real formats, and on the real files when present."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.discovery.evaluation.shared_data import require_dataset
from xingqu.discovery.evaluation import datasets
from xingqu.discovery.evaluation.errors import DatasetUnavailable, EvaluationError
from xingqu.shared.errors import DomainError, ErrorKind


def write_amazon(root: Path) -> None:
    folder = root / "amazon-5core-s3rec"
    folder.mkdir(parents=True)
    (folder / "Beauty.txt").write_text("1 10 20 30\n2 20 30 40 10\n")
    # brands 100/101 appear only first; 5 is a root carried by every item; 6/7 are categories
    attributes = {"10": [100, 5, 6], "20": [101, 5, 7], "30": [5, 7], "40": [100, 5], "50": [5]}
    (folder / "Beauty_item2attributes.json").write_text(json.dumps(attributes))


def test_amazon_sequences_become_ordered_interactions_with_categories(tmp_path: Path) -> None:
    # given
    write_amazon(tmp_path)
    # when
    data = datasets.load_dataset("beauty", tmp_path).interactions
    # then
    assert (data.n_users, data.n_items, len(data)) == (2, 4, 7)
    assert data.item_labels == ["10", "20", "30", "40"]
    assert [s.tolist() for s in data.sequences()] == [[0, 1, 2], [1, 2, 3, 0]]
    # category: first attribute that is neither a brand nor the universal root 5
    assert data.item_categories is not None
    assert data.item_categories.tolist() == [0, 1, 1, -1]


def test_movielens_reads_every_rating_and_the_first_real_genre(tmp_path: Path) -> None:
    # given
    folder = tmp_path / "movielens-100k" / "original"
    folder.mkdir(parents=True)
    (folder / "u.data").write_text("5\t7\t3\t100\n3\t7\t5\t90\n5\t2\t1\t80\n")
    genres = ["0"] * 19
    first = ["1", *genres[1:]]  # only "unknown"
    second = genres.copy()
    second[3] = second[8] = "1"
    (folder / "u.item").write_text(
        "2|Movie A|01-Jan-1995||http://x|" + "|".join(second) + "\n"
        "7|Movie B|01-Jan-1995||http://y|" + "|".join(first) + "\n"
    )
    # when
    data = datasets.load_dataset("ml100k", tmp_path).interactions
    # then
    assert data.user_labels == ["3", "5"] and data.item_labels == ["2", "7"]
    assert data.user_ids.tolist() == [1, 0, 1]
    assert data.item_ids.tolist() == [1, 1, 0]
    assert data.timestamps is not None and data.timestamps.tolist() == [100, 90, 80]
    assert data.weights is None
    assert data.item_categories is not None and data.item_categories.tolist() == [3, -1]


def test_taobao_keeps_the_official_window_and_behaviours(tmp_path: Path) -> None:
    # given one row before the window, one after, and three inside
    folder = tmp_path / "taobao-userbehavior-sample"
    folder.mkdir(parents=True)
    start = datasets.TAOBAO_START
    (folder / datasets.TAOBAO_FILE).write_text(
        f"1,500,9,pv,{start - 1}\n"
        f"1,500,9,pv,{start}\n"
        f"1,600,8,buy,{start + 10}\n"
        f"2,500,9,cart,{start + 20}\n"
        f"2,700,8,pv,{datasets.TAOBAO_END}\n"
    )
    # when
    loaded = datasets.load_dataset("taobao", tmp_path)
    # then
    data = loaded.interactions
    assert len(data) == 3
    assert data.item_ids.tolist() == [0, 1, 0]
    assert loaded.behaviours is not None and loaded.behaviours.tolist() == [0, 3, 1]
    assert data.item_categories is not None and data.item_categories.tolist() == [1, 0]


def test_missing_files_raise_a_typed_unavailable_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetUnavailable) as raised:
        datasets.load_dataset("sports", tmp_path)
    assert raised.value.code == EvaluationError.DATASET_MISSING
    assert raised.value.kind == ErrorKind.UNAVAILABLE
    assert raised.value.path == tmp_path / "amazon-5core-s3rec" / "Sports_and_Outdoors.txt"


def test_unknown_dataset_is_refused() -> None:
    with pytest.raises(DomainError) as raised:
        datasets.load_dataset("netflix")
    assert raised.value.code == EvaluationError.UNKNOWN_DATASET


def test_data_root_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XINGQU_SHARED_DATA", str(tmp_path))
    assert datasets.data_root() == tmp_path
    monkeypatch.delenv("XINGQU_SHARED_DATA")
    assert datasets.data_root().parts[-2:] == ("shared", "data")


@pytest.mark.parametrize(
    ("name", "users", "items", "rows"),
    [
        ("beauty", 22363, 12101, 198502),
        ("sports", 35598, 18357, 296337),
        ("ml100k", 943, 1682, 100000),
    ],
)
def test_real_files_match_their_published_statistics(
    name: str, users: int, items: int, rows: int
) -> None:
    # given
    require_dataset(name)
    # when
    data = datasets.load_dataset(name).interactions
    # then
    assert (data.n_users, data.n_items, len(data)) == (users, items, rows)
    assert data.item_categories is not None
    assert (data.item_categories >= 0).mean() > 0.95


def test_real_taobao_sample_matches_its_source_notes() -> None:
    # given
    require_dataset("taobao")
    # when
    loaded = datasets.load_dataset("taobao")
    # then: SOURCE.md's 84,474 rows, less the few outside the official window
    assert loaded.interactions.n_users == 815
    assert 84_000 < len(loaded.interactions) <= 84_474
    assert loaded.behaviours is not None
    assert int((loaded.behaviours == datasets.TAOBAO_BUY).sum()) <= 1750
    assert np.unique(loaded.behaviours).tolist() == [0, 1, 2, 3]

"""The shared serving pieces: top-k with padding, exclusion, histories, persistence guards."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from tests.discovery.retrieval.data import two_groups
from xingqu.discovery.interactions import Interactions
from xingqu.discovery.retrieval import PopularityRecommender, Recommender, TransitionRecommender
from xingqu.discovery.retrieval.base import mask_excluded, top_k
from xingqu.discovery.retrieval.histories import recent_items, recent_window, time_ordered


def test_top_k_orders_by_score_then_index_and_pads_non_candidates() -> None:
    scores = np.array([[0.5, 2.0, 0.5, -np.inf], [np.nan, -np.inf, 1.0, -np.inf]], dtype=np.float32)
    # when
    items, values = top_k(scores, 3)
    # then
    assert items.tolist() == [[1, 0, 2], [2, -1, -1]]
    assert values.tolist() == [[2.0, 0.5, 0.5], [1.0, -np.inf, -np.inf]]


def test_top_k_beyond_the_columns_pads_the_rest() -> None:
    items, values = top_k(np.array([[1.0, 3.0]], dtype=np.float32), 4)
    assert items.tolist() == [[1, 0, -1, -1]]
    assert values.tolist() == [[3.0, 1.0, -np.inf, -np.inf]]


def test_mask_excluded_uses_rows_by_user_id_and_ignores_users_beyond_it() -> None:
    # given exclusions for users 0 and 1 only (an explicit zero does not exclude)
    exclude = sparse.csr_matrix(
        (np.array([1.0, 1.0, 0.0]), (np.array([0, 1, 1]), np.array([2, 0, 1]))), shape=(2, 3)
    )
    scores = np.ones((3, 3), dtype=np.float32)
    # when scoring users 1, 0 and 5
    mask_excluded(scores, np.array([1, 0, 5]), exclude)
    # then
    assert np.isneginf(scores).tolist() == [
        [True, False, False],
        [False, False, True],
        [False, False, False],
    ]


def test_histories_follow_timestamps_not_input_order() -> None:
    # given interactions entered out of time order
    data = Interactions(
        user_ids=np.array([1, 0, 1, 1]),
        item_ids=np.array([7, 3, 5, 6]),
        n_users=3,
        n_items=8,
        timestamps=np.array([30, 5, 10, 20]),
    )
    # when
    indptr, items, times = time_ordered(data)
    rows, index, back = recent_window(indptr, np.array([1, 2, 0, 9]), 2)
    recent = recent_items(indptr, items, np.array([1]), 8, last=3, decay=0.5)
    # then
    assert indptr.tolist() == [0, 1, 4, 4] and items.tolist() == [3, 5, 6, 7]
    assert times.tolist() == [5, 10, 20, 30]
    assert rows.tolist() == [0, 0, 2] and items[index].tolist() == [6, 7, 3]
    assert back.tolist() == [1, 0, 0]
    assert recent.toarray()[0].tolist() == [0, 0, 0, 0, 0, 0.25, 0.5, 1.0]


def test_recommend_rejects_bad_arguments() -> None:
    model = PopularityRecommender().fit(two_groups())
    with pytest.raises(ValueError, match="one-dimensional"):
        model.recommend(np.array([[1, 2]]), 3)
    with pytest.raises(ValueError, match="integers"):
        model.recommend(np.array([0.5]), 3)
    with pytest.raises(ValueError, match="non-negative"):
        model.recommend(np.array([1]), -1)


def test_load_refuses_classes_outside_the_package_and_the_wrong_estimator(
    tmp_path: Path,
) -> None:
    # given a saved popularity model
    PopularityRecommender().fit(two_groups()).save(tmp_path / "pop")
    # then loading it as another estimator is refused
    with pytest.raises(TypeError, match="not a TransitionRecommender"):
        TransitionRecommender.load(tmp_path / "pop")
    # and a tampered class name does not import arbitrary code
    meta = json.loads((tmp_path / "pop" / "params.json").read_text())
    meta["class"] = "os.path.join"
    (tmp_path / "pop" / "params.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="not a retrieval estimator"):
        Recommender.load(tmp_path / "pop")


def test_get_params_and_repr_show_the_hyper_parameters() -> None:
    model = TransitionRecommender(order=2, smoothing=2.0)
    assert model.get_params()["order"] == 2 and model.get_params()["smoothing"] == 2.0
    assert repr(model).startswith("TransitionRecommender(order=2, skip_decay=0.6,")


def test_top_k_breaks_ties_at_the_kth_score_by_lower_column() -> None:
    rng = np.random.default_rng(0)
    row = np.full(200, 0.25, dtype=np.float32)
    row[rng.choice(200, 5, replace=False)] = 0.75  # five clear winners, then 195 tied
    winners = np.flatnonzero(row == 0.75)
    tied = np.flatnonzero(row == 0.25)
    items, values = top_k(np.vstack([row, row[::-1]]), 8)
    assert items[0].tolist() == [*winners.tolist(), *tied[:3].tolist()]
    assert items[1].tolist() == [*sorted(199 - winners), *sorted(199 - tied)[:3]]
    assert values[0].tolist() == [0.75] * 5 + [0.25] * 3

"""The contract every retrieval estimator passes, on a dataset with a known answer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.discovery.retrieval.data import (
    N_ITEMS,
    N_USERS,
    NO_HISTORY,
    QUERY_A,
    QUERY_B,
    two_groups,
)
from xingqu.discovery.retrieval import (
    ALSRecommender,
    BlendRecommender,
    CategoryExplorationChannel,
    CategoryInterestRecommender,
    CoVisitationRecommender,
    EASERecommender,
    NotFittedError,
    PopularityRecommender,
    Recommender,
    TransitionRecommender,
)


def _sasrec(**params: Any) -> Recommender:
    sasrec = pytest.importorskip("xingqu.discovery.retrieval.sasrec")
    return sasrec.SASRecRecommender(**params)


# (factory, its hyper-parameters, acceptable top item for QUERY_A, for QUERY_B)
CASES: dict[str, tuple[Callable[..., Recommender], dict[str, Any], set[int], set[int]]] = {
    "popularity": (PopularityRecommender, {"half_life": None}, {3}, {3}),
    "als": (ALSRecommender, {"factors": 2, "seed": 1}, {2, 3, 4}, {8, 9, 10}),
    "covisitation": (CoVisitationRecommender, {"window": 3}, {2}, {8}),
    "ease": (EASERecommender, {"regularization": 1.0}, {2, 3, 4}, {8, 9, 10}),
    "transition": (TransitionRecommender, {"order": 2}, {2}, {8}),
    "sasrec": (
        _sasrec,
        {
            "embedding_dim": 16,
            "max_length": 8,
            "epochs": 30,
            "batch_size": 16,
            "dropout": 0.0,
            "learning_rate": 0.01,
            "n_threads": 1,
        },
        {2},
        {8},
    ),
    "exploration": (CategoryExplorationChannel, {"n_categories": 1}, {3}, {9, 10}),
    "category": (CategoryInterestRecommender, {"user_half_life": None}, {2}, {8}),
    "blend": (
        BlendRecommender,
        {
            "channels": [
                ("transition", TransitionRecommender(order=2)),
                ("popularity", PopularityRecommender()),
            ],
            "weights": [3.0, 1.0],
            "candidates": 20,
        },
        {2},
        {8},
    ),
}


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> tuple[str, Recommender, set[int], set[int]]:
    factory, params, expected_a, expected_b = CASES[request.param]
    return request.param, factory(**params), expected_a, expected_b


@pytest.fixture(scope="module")
def data() -> Any:
    return two_groups()


def _learned(model: Recommender) -> set[str]:
    return {name for name in vars(model) if not name.startswith("_")} - set(model.get_params())


def _check_rows(items: np.ndarray, scores: np.ndarray, excluded: list[set[int]]) -> None:
    """Valid indices, no duplicates, nothing excluded, padding only at the end, best first."""
    for row, row_scores, banned in zip(items, scores, excluded, strict=True):
        real = row[row >= 0]
        assert np.all(row[: len(real)] >= 0) and np.all(row[len(real) :] == -1)
        assert len(set(real.tolist())) == len(real)
        assert np.all(real < N_ITEMS)
        assert not set(real.tolist()) & banned
        assert np.all(np.diff(row_scores[: len(real)]) <= 0)
        assert np.all(np.isneginf(row_scores[len(real) :]))


def test_init_stores_hyper_parameters_and_does_no_work(
    case: tuple[str, Recommender, set[int], set[int]],
) -> None:
    # given an estimator just constructed
    name, model, _, _ = case
    _, params, _, _ = CASES[name]
    # then it holds its hyper-parameters and nothing learned
    assert {k: model.get_params()[k] for k in params} == params
    assert not _learned(model)
    assert not [attr for attr in vars(model) if attr.endswith("_")]
    with pytest.raises(NotFittedError):
        model.recommend(np.array([QUERY_A]), 3)


def test_fit_returns_self_and_learns_only_underscored_attributes(
    case: tuple[str, Recommender, set[int], set[int]], data: Any
) -> None:
    _, model, _, _ = case
    params_before = repr(model.get_params())
    # when
    fitted = model.fit(data)
    # then
    assert fitted is model
    learned = _learned(model)
    assert learned and all(name.endswith("_") for name in learned)
    assert model.n_items_ == N_ITEMS and model.n_users_ == N_USERS
    assert repr(model.get_params()) == params_before


def test_recommends_the_obvious_item_and_never_an_excluded_one(
    case: tuple[str, Recommender, set[int], set[int]], data: Any
) -> None:
    # given a fitted estimator, and the users' histories as exclusions
    _, model, expected_a, expected_b = case
    model.fit(data)
    history = data.to_csr(binary=True)
    users = np.arange(N_USERS)
    # when
    items, scores = model.recommend(users, 5, exclude=history)
    # then
    assert items.shape == scores.shape == (N_USERS, 5)
    assert items.dtype == np.int64 and scores.dtype == np.float32
    assert items[QUERY_A, 0] in expected_a
    assert items[QUERY_B, 0] in expected_b
    _check_rows(items, scores, [set(history[u].indices.tolist()) for u in users])


def test_save_then_load_gives_identical_recommendations(
    case: tuple[str, Recommender, set[int], set[int]], data: Any, tmp_path: Path
) -> None:
    # given a fitted estimator
    _, model, _, _ = case
    model.fit(data)
    users = np.array([QUERY_A, QUERY_B, NO_HISTORY, 0, 9, 99, -1])
    exclude = data.to_csr(binary=True)
    before = model.recommend(users, 6, exclude=exclude)
    # when it is saved and loaded (through the base class and through its own)
    model.save(tmp_path / "model")
    loaded = Recommender.load(tmp_path / "model")
    again = type(model).load(tmp_path / "model")
    # then
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) in (
        ["arrays.npz", "params.json"],
        ["arrays.npz", "channels", "params.json"],
    )
    assert type(loaded) is type(model)
    assert repr(loaded.get_params()) == repr(model.get_params())
    for other in (loaded, again):
        after = other.recommend(users, 6, exclude=exclude)
        np.testing.assert_array_equal(after[0], before[0])
        np.testing.assert_array_equal(after[1], before[1])


def test_unknown_users_and_empty_histories_get_answers(
    case: tuple[str, Recommender, set[int], set[int]], data: Any
) -> None:
    # given
    _, model, _, _ = case
    model.fit(data)
    users = np.array([NO_HISTORY, N_USERS, N_USERS + 100, -5])
    # when
    items, scores = model.recommend(users, 3, exclude=data.to_csr(binary=True))
    # then every row is a proper answer, and the unseen users get the same one
    _check_rows(items, scores, [set(), set(), set(), set()])
    assert np.all(items[:, 0] >= 0)
    np.testing.assert_array_equal(items[1], items[2])


def test_k_beyond_the_catalogue_pads_with_minus_one(
    case: tuple[str, Recommender, set[int], set[int]], data: Any
) -> None:
    # given
    name, model, _, _ = case
    model.fit(data)
    history = data.to_csr(binary=True)
    users = np.array([QUERY_A, QUERY_B, 0])
    # when
    items, scores = model.recommend(users, N_ITEMS + 4, exclude=history)
    # then
    assert items.shape == (3, N_ITEMS + 4)
    _check_rows(items, scores, [set(history[u].indices.tolist()) for u in users])
    for row, user in zip(items, users, strict=True):
        candidates = N_ITEMS - history[user].nnz
        if name == "exploration":  # only items of co-affine categories the user never touched
            assert (row >= 0).sum() == {QUERY_A: 3, QUERY_B: 3, 0: 0}[user]
        else:
            assert (row >= 0).sum() == candidates
    # and k = 0 is an empty answer
    assert model.recommend(users, 0)[0].shape == (3, 0)

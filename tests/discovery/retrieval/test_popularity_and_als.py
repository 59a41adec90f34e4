"""Popularity with time decay; ALS served through the ANN index, its fallback and neighbours."""

from __future__ import annotations

import numpy as np

from tests.discovery.retrieval.data import QUERY_A, two_groups
from xingqu.discovery.interactions import Interactions
from xingqu.discovery.retrieval import ALSRecommender, PopularityRecommender


def test_popularity_decays_old_interactions_by_half_life() -> None:
    # given item 0 touched 3 times long ago (age 20), item 1 twice now
    data = Interactions(
        user_ids=np.array([0, 1, 2, 3, 4]),
        item_ids=np.array([0, 0, 0, 1, 1]),
        n_users=5,
        n_items=3,
        timestamps=np.array([0, 0, 0, 20, 20]),
    )
    # when
    plain = PopularityRecommender().fit(data)
    decayed = PopularityRecommender(half_life=10).fit(data)
    # then: 3 × 0.25 < 2 × 1
    assert plain.item_scores_.tolist() == [3.0, 2.0, 0.0]
    np.testing.assert_allclose(decayed.item_scores_, [0.75, 2.0, 0.0])
    assert decayed.recommend(np.array([0]), 2)[0].tolist() == [[1, 0]]


def test_binary_popularity_counts_each_user_once() -> None:
    data = Interactions(
        user_ids=np.array([0, 0, 0, 1, 2]),
        item_ids=np.array([0, 0, 0, 1, 1]),
        n_users=3,
        n_items=2,
    )
    assert PopularityRecommender(binary=True).fit(data).item_scores_.tolist() == [1.0, 2.0]


def _taste_clusters(n_users: int = 400, n_items: int = 400, seed: int = 0) -> Interactions:
    """Users with a favourite cluster of 40 items, each touching 12 items, mostly from it."""
    rng = np.random.default_rng(seed)
    users, items = [], []
    for user in range(n_users):
        cluster = rng.integers(0, n_items // 40)
        picks = np.where(
            rng.random(12) < 0.8,
            cluster * 40 + rng.integers(0, 40, 12),
            rng.integers(0, n_items, 12),
        )
        users += [user] * 12
        items += picks.tolist()
    return Interactions(np.array(users), np.array(items), n_users, n_items)


def test_ann_answers_match_the_exact_product() -> None:
    # given the same ALS model served through HNSW and exactly
    data = _taste_clusters()
    ann = ALSRecommender(factors=16, seed=1).fit(data)
    exact = ALSRecommender(factors=16, seed=1, ann=False).fit(data)
    users = np.arange(data.n_users)
    # when asking for short lists (the graph search's job)
    ann_items, ann_scores = ann.recommend(users, 10, exclude=data.to_csr())
    exact_items, _ = exact.recommend(users, 10, exclude=data.to_csr())
    # then the graph finds (nearly) every exact item, with the exact inner products
    assert ann.index_ is not None and exact.index_ is None
    found = np.mean(
        [len(set(a) & set(e)) / 10 for a, e in zip(ann_items, exact_items, strict=True)]
    )
    assert found > 0.98
    true_scores = np.take_along_axis(ann.user_factors_ @ ann.item_factors_.T, ann_items, axis=1)
    np.testing.assert_allclose(ann_scores, true_scores, atol=1e-4)
    assert not set(np.flatnonzero(data.to_csr()[0].toarray())) & set(ann_items[0])


def test_long_lists_are_served_exactly() -> None:
    data = _taste_clusters()
    ann = ALSRecommender(factors=16, seed=1).fit(data)
    exact = ALSRecommender(factors=16, seed=1, ann=False).fit(data)
    users = np.arange(50)
    everything = ann.recommend(users, data.n_items, exclude=data.to_csr())
    np.testing.assert_array_equal(
        everything[0], exact.recommend(users, data.n_items, exclude=data.to_csr())[0]
    )


def test_heavily_excluded_users_fall_back_to_the_exact_answer() -> None:
    # given a user for whom everything but two items is excluded
    data = two_groups()
    model = ALSRecommender(factors=2, seed=1).fit(data)
    exclude = data.to_csr().tolil()
    exclude[QUERY_A, :] = 1
    exclude[QUERY_A, [4, 9]] = 0
    # when
    items, _ = model.recommend(np.array([QUERY_A]), 3, exclude=exclude.tocsr())
    # then the two that are left, group A's item first, and padding
    assert items.tolist() == [[4, 9, -1]]


def test_similar_items_are_the_items_with_the_closest_factors() -> None:
    model = ALSRecommender(factors=2, seed=1).fit(two_groups())
    items, scores = model.similar_items(np.array([0, 6]), 2)
    assert set(items[0].tolist()) <= {1, 2, 3, 4, 5}  # group A, never itself
    assert set(items[1].tolist()) <= {7, 8, 9, 10, 11}
    assert np.all(scores <= 1.0 + 1e-6)

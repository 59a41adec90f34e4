"""Category interests × in-category trends, on hand-counted data."""

from __future__ import annotations

import numpy as np
import pytest

from xingqu.discovery.interactions import Interactions
from xingqu.discovery.retrieval import CategoryInterestRecommender

# items 0, 1, 2 are category 0; items 3, 4 category 1; item 5 has none
CATEGORIES = np.array([0, 0, 0, 1, 1, -1])


def _data(users: list[int], items: list[int], times: list[int]) -> Interactions:
    return Interactions(
        user_ids=np.array(users, dtype=np.int64),
        item_ids=np.array(items, dtype=np.int64),
        n_users=4,
        n_items=6,
        timestamps=np.array(times, dtype=np.int64),
        item_categories=CATEGORIES,
    )


def test_scores_are_interest_times_standing_inside_the_category() -> None:
    # given user 0: three category-0 interactions and one category-1; others make item 1 the
    # trend of category 0 (3 of its 5 interactions) and item 4 that of category 1 (2 of 3)
    data = _data(
        users=[0, 0, 0, 0, 1, 1, 2, 2, 3],
        items=[0, 0, 2, 3, 1, 4, 1, 4, 1],
        times=[1, 2, 3, 4, 5, 6, 7, 8, 9],
    )
    model = CategoryInterestRecommender(
        user_half_life=None, item_half_life=None, popularity_weight=0.0
    ).fit(data)
    # when
    scores = model._scores(np.array([0]))[0]
    # then: interest 3/4 in category 0, 1/4 in category 1; standing = share of the category
    np.testing.assert_allclose(
        scores, [0.75 * 2 / 6, 0.75 * 3 / 6, 0.75 * 1 / 6, 0.25 * 1 / 3, 0.25 * 2 / 3, 0.0]
    )
    items, _ = model.recommend(np.array([0]), 2, exclude=data.to_csr(binary=True))
    assert items.tolist() == [[1, 4]]


def test_a_short_user_half_life_follows_what_the_user_browses_now() -> None:
    # given user 0 browsed category 0 long ago and category 1 just now
    data = _data(
        users=[0, 0, 0, 0, 1, 1],
        items=[0, 1, 2, 3, 4, 1],
        times=[0, 0, 0, 1_000, 1_000, 1_000],
    )
    history = data.to_csr(binary=True)
    # when interests never fade, category 0 (3 of 4 interactions) leads
    slow = CategoryInterestRecommender(user_half_life=None).fit(data)
    # and when they halve every 100 time units, category 1 does
    fast = CategoryInterestRecommender(user_half_life=100.0).fit(data)
    # then (item 4 is category 1's only unseen item; category 0 has nothing unseen left)
    assert slow.user_interests_[0].toarray().round(3).tolist() == [[0.75, 0.25]]
    assert fast.user_interests_[0].toarray()[0, 1] > 0.99
    assert fast.recommend(np.array([0]), 1, exclude=history)[0].tolist() == [[4]]


def test_data_without_categories_or_bad_half_lives_are_refused() -> None:
    # given
    plain = Interactions(np.array([0, 1]), np.array([0, 1]), n_users=2, n_items=2)
    model = CategoryInterestRecommender()
    # when / then nothing is learned
    with pytest.raises(ValueError, match="needs item_categories"):
        model.fit(plain)
    assert not hasattr(model, "n_items_")
    bad = CategoryInterestRecommender(user_half_life=0.0)
    with pytest.raises(ValueError, match="user_half_life must be positive"):
        bad.fit(_data([0], [0], [0]))
    assert not hasattr(bad, "n_items_")

"""Latent-interest exploration: co-affine unseen categories, and the Thompson-sampling bandit."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from xingqu.discovery.interactions import Interactions
from xingqu.discovery.retrieval import CategoryBandit, CategoryExplorationChannel

# categories: 0 = items {0, 1}, 1 = {2, 3}, 2 = {4, 5}, 3 = {6, 7}
CATEGORIES = np.array([0, 0, 1, 1, 2, 2, 3, 3])


def _shoppers() -> Interactions:
    """Users 0–2 shop categories 0 and 1, users 3–5 category 2, user 6 only category 0."""
    pairs = [(0, 0), (0, 2), (0, 3), (1, 1), (1, 2), (2, 0), (2, 2)]
    pairs += [(3, 4), (4, 5), (5, 4)]
    pairs += [(6, 0)]
    users, items = zip(*pairs, strict=True)
    return Interactions(
        user_ids=np.array(users),
        item_ids=np.array(items),
        n_users=8,
        n_items=8,
        item_categories=CATEGORIES,
    )


def test_npmi_between_categories_over_users() -> None:
    # given 7 active users: 4 touch category 0, 3 touch 1, and the same 3 touch both
    model = CategoryExplorationChannel(min_users=3).fit(_shoppers())
    # then NPMI(0, 1) = log(p01 / (p0 p1)) / -log p01 with p0 = 4/7, p1 = p01 = 3/7
    npmi = math.log((3 / 7) / ((4 / 7) * (3 / 7))) / -math.log(3 / 7)
    affinity = model.affinity_.toarray()
    assert affinity[0, 1] == pytest.approx(npmi) and affinity[1, 0] == pytest.approx(npmi)
    assert np.count_nonzero(affinity) == 2  # 2 never meets 0 or 1; nothing with itself


def test_explores_the_co_affine_category_the_user_never_touched() -> None:
    # given user 6, who has only shopped category 0
    model = CategoryExplorationChannel(n_categories=2, min_users=3).fit(_shoppers())
    # when
    categories, _ = model.candidate_categories(np.array([6]), 2)
    items, scores = model.recommend(np.array([6]), 4)
    # then category 1 (not the unrelated 2 or 3, not the known 0), its popular item first
    assert categories.tolist() == [[1, -1]]
    assert items.tolist() == [[2, 3, -1, -1]]
    npmi = model.affinity_[0, 1]
    np.testing.assert_allclose(scores[0, :2], [npmi, npmi / 3], rtol=1e-6)


def test_pairs_shared_by_too_few_users_are_not_affine() -> None:
    model = CategoryExplorationChannel(min_users=4).fit(_shoppers())
    assert model.affinity_.nnz == 0
    assert model.recommend(np.array([6]), 2)[0].tolist() == [[-1, -1]]


def test_users_without_history_explore_the_widest_reaching_categories() -> None:
    model = CategoryExplorationChannel(n_categories=1).fit(_shoppers())
    # category 0 reaches 4 of 7 users
    assert model.candidate_categories(np.array([7]), 1)[0].tolist() == [[0]]
    assert model.recommend(np.array([7]), 2)[0].tolist() == [[0, 1]]
    assert model.category_items(np.array([2, 3]), 1)[0].tolist() == [[4], [6]]


def test_exploration_needs_item_categories() -> None:
    data = _shoppers()
    without = Interactions(data.user_ids, data.item_ids, data.n_users, data.n_items)
    with pytest.raises(ValueError, match="needs item_categories"):
        CategoryExplorationChannel().fit(without)


def test_bandit_posteriors_count_rewards_and_misses() -> None:
    # given a uniform prior over 3 categories in 2 segments
    bandit = CategoryBandit(3, n_segments=2)
    # when category 1 of segment 0 is engaged with twice and ignored once, and segment 1 sees a
    # half-watched video in category 2
    bandit.update(1, 1.0)
    bandit.update(np.array([1, 1]), np.array([1.0, 0.0]))
    bandit.update(2, 0.5, segment=1)
    # then
    assert bandit.alpha_.tolist() == [[1, 3, 1], [1, 1, 1.5]]
    assert bandit.beta_.tolist() == [[1, 2, 1], [1, 1, 1.5]]
    assert bandit.mean(0).tolist() == [0.5, 0.6, 0.5]


def test_bandit_rejects_impossible_responses_and_changes_nothing() -> None:
    bandit = CategoryBandit(2)
    for category, reward, segment in [(2, 1.0, 0), (0, 1.5, 0), (0, -0.1, 0), (0, 1.0, 1)]:
        with pytest.raises(ValueError):
            bandit.update(category, reward, segment=segment)
    assert bandit.alpha_.tolist() == [[1, 1]] and bandit.beta_.tolist() == [[1, 1]]


def test_thompson_sampling_mostly_picks_the_better_category_but_still_explores() -> None:
    # given category 0 with 30 of 40 engaged and category 1 with 5 of 40, category 2 untried
    bandit = CategoryBandit(3)
    bandit.update(np.zeros(40, dtype=np.int64), (np.arange(40) < 30).astype(float))
    bandit.update(np.ones(40, dtype=np.int64), (np.arange(40) < 5).astype(float))
    rng = np.random.default_rng(3)
    # when choosing one category a thousand times
    picks = np.array([bandit.choose(1, rng)[0] for _ in range(1000)])
    # then 0 wins most draws, the uncertain 2 some, the poor 1 almost never
    counts = np.bincount(picks, minlength=3)
    assert counts[0] > 700 and 20 < counts[2] < 300 and counts[1] < 5
    # and a choice among candidates stays among them
    assert bandit.choose(2, rng, candidates=[1, 2]).tolist() in ([1, 2], [2, 1])


def test_bandit_save_and_load(tmp_path: Path) -> None:
    bandit = CategoryBandit(2, n_segments=1, prior_alpha=2.0)
    bandit.update(1, 1.0)
    bandit.save(tmp_path / "bandit")
    loaded = CategoryBandit.load(tmp_path / "bandit")
    assert loaded.alpha_.tolist() == [[2, 3]] and loaded.beta_.tolist() == [[1, 1]]
    assert loaded.prior_alpha == 2.0

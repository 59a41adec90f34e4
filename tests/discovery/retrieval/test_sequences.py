"""Transition and co-visitation counts from sequences, worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from xingqu.discovery.interactions import Interactions
from xingqu.discovery.retrieval import CoVisitationRecommender, TransitionRecommender
from xingqu.discovery.retrieval.base import mask_excluded, top_k


def _sequences(
    *sequences: list[int], n_items: int = 5, gap_after: int | None = None
) -> Interactions:
    """One user per sequence, one time step apart (a pause of 100 after position `gap_after`)."""
    users, items, times = [], [], []
    for user, sequence in enumerate(sequences):
        for step, item in enumerate(sequence):
            users.append(user)
            items.append(item)
            pause = 100 if gap_after is not None and step > gap_after else 0
            times.append(step + pause)
    return Interactions(
        user_ids=np.array(users),
        item_ids=np.array(items),
        n_users=len(sequences),
        n_items=n_items,
        timestamps=np.array(times),
    )


def test_transition_counts_next_items_and_decayed_skips() -> None:
    # given 0→1→2, 0→1→3 and 1→2, with skips of two steps at half weight
    data = _sequences([0, 1, 2], [0, 1, 3], [1, 2])
    # when
    model = TransitionRecommender(order=2, skip_decay=0.5).fit(data)
    # then
    counts = model.counts_.toarray()
    expected = np.zeros((5, 5))
    expected[0, 1] = 2.0  # two users went 0 → 1
    expected[1, 2] = 2.0
    expected[1, 3] = 1.0
    expected[0, 2] = expected[0, 3] = 0.5  # 0 → (1) → 2 and 0 → (1) → 3
    np.testing.assert_allclose(counts, expected)


def test_transition_probabilities_are_smoothed_towards_covisits_and_popularity() -> None:
    # given 0→1→2, 0→1→3, 1→2, and user 3 who has seen only item 1
    data = _sequences([0, 1, 2], [0, 1, 3], [1, 2], [1])
    # when (first order, smoothing s = 1, half of the smoothing mass to co-visits)
    model = TransitionRecommender(order=1, smoothing=1.0, covisit_share=0.5).fit(data)
    items, scores = model.recommend(np.array([3]), 5)
    # then P(b | 1) = (T[1, b] + 1 × (0.5 × V[1, b] + 0.5 × pop(b))) / (n_1 + 1), where
    # T[1] = (0, 0, 2, 1, 0), n_1 = 3; co-visits of 1 both ways: 0 twice, 2 twice, 3 once;
    # popularity counts (2, 4, 2, 1, 0) of 9 interactions
    transitions = np.array([0, 0, 2, 1, 0])
    covisit = np.array([2, 0, 2, 1, 0]) / 5
    popularity = np.array([2, 4, 2, 1, 0]) / 9
    expected = (transitions + 0.5 * covisit + 0.5 * popularity) / 4
    assert model.counts_.toarray()[1].tolist() == transitions.tolist()
    assert items.tolist() == [[2, 3, 0, 1, 4]]
    np.testing.assert_allclose(scores[0], expected[[2, 3, 0, 1, 4]], rtol=1e-5)


def test_transition_weighs_the_users_recent_items_by_recency() -> None:
    # given 0 → 3 and 1 → 4, and a user who saw 0 then 1
    data = _sequences([0, 3], [0, 3], [1, 4], [1, 4], [0, 1])
    model = TransitionRecommender(
        order=1, smoothing=0.0, history=2, recency_decay=0.5, neighbours=None
    ).fit(data)
    # when
    items, scores = model.recommend(np.array([4]), 2, exclude=data.to_csr())
    # then the newest item's successor leads: 4 at P(4 | 1) = 1, then 3 at 0.5 × P(3 | 0),
    # where P(3 | 0) = 2/3 (0 → 3 twice, 0 → 1 once: the user's own step counts too)
    assert items.tolist() == [[4, 3]]
    np.testing.assert_allclose(scores, [[1.0, 1 / 3]], rtol=1e-6)


def test_sessions_end_after_a_long_pause() -> None:
    # given 0 → 1, a pause, then 2 → 3
    data = _sequences([0, 1, 2, 3], gap_after=1)
    # when sessions break at pauses over 10 time units
    split = TransitionRecommender(order=3, skip_decay=1.0, session_gap=10).fit(data)
    whole = TransitionRecommender(order=3, skip_decay=1.0).fit(data)
    # then no transition crosses the pause
    assert split.counts_.toarray()[[0, 1, 1], [1, 2, 3]].tolist() == [1.0, 0.0, 0.0]
    assert whole.counts_.toarray()[[0, 1, 1], [1, 2, 3]].tolist() == [1.0, 1.0, 1.0]


def test_covisitation_counts_both_directions_with_distance_decay() -> None:
    # given one user 0, 1, 2 and raw counts (no popularity normalisation)
    data = _sequences([0, 1, 2], [2, 4])
    model = CoVisitationRecommender(
        window=2, distance_decay=0.5, normalisation=0.0, backward_weight=0.5, neighbours=None
    ).fit(data)
    # then forward pairs count 1 (next) or 0.5 (one apart), backward ones half that
    expected = np.zeros((5, 5))
    expected[0, 1] = expected[1, 2] = expected[2, 4] = 1.0
    expected[1, 0] = expected[2, 1] = expected[4, 2] = 0.5
    expected[0, 2] = 0.5
    expected[2, 0] = 0.25
    np.testing.assert_allclose(model.neighbours_.toarray(), expected)


def test_covisitation_time_decay_halves_old_pairs() -> None:
    # given the pair 0, 1 long ago (age 200 at the end) and 2, 3 now
    data = Interactions(
        user_ids=np.array([0, 0, 1, 1]),
        item_ids=np.array([0, 1, 2, 3]),
        n_users=2,
        n_items=4,
        timestamps=np.array([0, 0, 200, 200]),
    )
    # when the half-life is 100
    model = CoVisitationRecommender(
        window=1, half_life=100, normalisation=0.0, backward_weight=1.0
    ).fit(data)
    # then
    weights = model.neighbours_.toarray()
    assert weights[0, 1] == pytest.approx(0.25) and weights[2, 3] == pytest.approx(1.0)


def _dense_top_k(
    model: TransitionRecommender, user: int, k: int, exclude: sparse.csr_matrix | None
) -> tuple[np.ndarray, np.ndarray]:
    """Every item scored and ranked: what `Recommender.recommend` does for a batch."""
    users = np.array([user])
    dense = model._scores(users)
    mask_excluded(dense, users, exclude)
    return top_k(dense, k)


@pytest.mark.parametrize("covisit_share", [0.0, 0.5, 1.0])
def test_one_users_top_k_from_sparse_scores_equals_the_dense_row(covisit_share: float) -> None:
    """The single-user path (`TransitionRecommender.recommend` without the dense row) returns
    exactly what ranking every item does: the same items in the same order, the same scores,
    with exclusions, ties among popular items, unknown users and k past the catalogue."""
    rng = np.random.default_rng(3)
    n_users, n_items = 60, 40
    users = rng.integers(0, n_users, 900)
    # half the items drawn from a few values so that popularity ties are common
    items = np.where(rng.random(900) < 0.5, rng.integers(0, 6, 900), rng.integers(0, n_items, 900))
    data = Interactions(
        user_ids=users,
        item_ids=items,
        n_users=n_users,
        n_items=n_items,
        timestamps=rng.permutation(900),
    )
    model = TransitionRecommender(order=2, covisit_share=covisit_share, neighbours=5).fit(data)
    exclude = sparse.csr_matrix(
        (np.ones(300), (rng.integers(0, n_users, 300), rng.integers(0, n_items, 300))),
        shape=(n_users, n_items),
    )
    checked = 0
    for user in [*range(n_users), -1, n_users + 3]:
        for k in (1, 7, 40, 55):
            for banned in (None, exclude):
                fast = model.recommend(np.array([user]), k, exclude=banned)
                dense = _dense_top_k(model, user, k, banned)
                np.testing.assert_array_equal(fast[0], dense[0])
                np.testing.assert_array_equal(fast[1], dense[1])
                checked += 1
    assert checked == (n_users + 2) * 8

"""EASE against its closed form worked out by hand on a tiny matrix."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from xingqu.discovery.interactions import Interactions
from xingqu.discovery.retrieval import EASERecommender


def _tiny() -> Interactions:
    # X = [[1,1,0],[0,1,1],[1,1,1],[1,0,0]]: users × items
    users = np.array([0, 0, 1, 1, 2, 2, 2, 3])
    items = np.array([0, 1, 1, 2, 0, 1, 2, 0])
    return Interactions(user_ids=users, item_ids=items, n_users=4, n_items=3)


def test_weights_are_the_hand_computed_closed_form() -> None:
    # given XᵀX + λI with λ = 1: [[4,2,1],[2,4,2],[1,2,3]], whose inverse is
    # P = [[1/3,-1/6,0],[-1/6,11/24,-1/4],[0,-1/4,1/2]], so B_ij = -P_ij / P_jj is:
    gram = np.array([[4, 2, 1], [2, 4, 2], [1, 2, 3]], dtype=np.float64)
    inverse = np.array([[1 / 3, -1 / 6, 0], [-1 / 6, 11 / 24, -1 / 4], [0, -1 / 4, 1 / 2]])
    assert np.allclose(gram @ inverse, np.eye(3))  # (the hand computation holds)
    expected = np.array([[0, 4 / 11, 0], [1 / 2, 0, 1 / 2], [0, 6 / 11, 0]])
    # when
    model = EASERecommender(regularization=1.0).fit(_tiny())
    # then
    np.testing.assert_allclose(model.weights_, expected, atol=1e-6)
    # and user 3 (item 0 only) scores row 0 of B: item 1 at 4/11, item 2 at 0
    items, scores = model.recommend(np.array([3]), 2, exclude=_tiny().to_csr())
    assert items.tolist() == [[1, 2]]
    np.testing.assert_allclose(scores, [[4 / 11, 0.0]], atol=1e-6)


def test_pruning_keeps_the_largest_weights_of_each_column() -> None:
    # column 1 holds 4/11 and 6/11: only 6/11 stays
    model = EASERecommender(regularization=1.0, prune=1).fit(_tiny())
    assert sparse.issparse(model.weights_)
    expected = np.array([[0, 0, 0], [1 / 2, 0, 1 / 2], [0, 6 / 11, 0]])
    np.testing.assert_allclose(model.weights_.toarray(), expected, atol=1e-6)


def test_catalogues_above_the_limit_are_refused_before_any_work() -> None:
    model = EASERecommender(max_items=2)
    with pytest.raises(ValueError, match=r"dense 3 × 3 matrix .* max_items=2"):
        model.fit(_tiny())
    assert not hasattr(model, "weights_")


def test_chunk_gram_counts_items_met_within_a_window_of_one_history() -> None:
    from xingqu.discovery.retrieval.ease import chunk_gram

    # given one user who met items 0, 1, 2, 3 in that order (and item 0 again at the end)
    data = Interactions(
        user_ids=np.zeros(5, dtype=np.int64),
        item_ids=np.array([0, 1, 2, 3, 0]),
        n_users=1,
        n_items=4,
        timestamps=np.array([1, 2, 3, 4, 5]),
    )
    # when histories are cut into chunks of 2 at offsets 0 and 1:
    # offset 0: {0, 1}, {2, 3}, {0}; offset 1: {0}, {1, 2}, {3, 0}
    gram = chunk_gram(data, 2).toarray()
    # then each entry is the mean over the two chunkings of the chunks holding both items
    expected = [
        [2.0, 0.5, 0.0, 0.5],
        [0.5, 1.0, 0.5, 0.0],
        [0.0, 0.5, 1.0, 0.5],
        [0.5, 0.0, 0.5, 1.0],
    ]
    np.testing.assert_allclose(gram, expected)


def test_session_chunks_join_the_gram_matrix_and_bad_settings_are_refused() -> None:
    # given the tiny matrix with timestamps; every history (≤ 3 items) fits in one chunk of 6
    data = _tiny()
    timed = Interactions(
        data.user_ids, data.item_ids, n_users=4, n_items=3, timestamps=np.arange(8)
    )
    # when the chunk Gram (here equal to XᵀX) is added once
    model = EASERecommender(regularization=1.0, session_window=6, session_weight=1.0).fit(timed)
    # then B is the closed form of 2 XᵀX + λI
    gram = 2 * np.array([[3, 2, 1], [2, 3, 2], [1, 2, 2]], dtype=np.float64) + np.eye(3)
    inverse = np.linalg.inv(gram)
    expected = -inverse / np.diag(inverse)[None, :]
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(model.weights_, expected, atol=1e-5)
    # and nonsense is refused before anything is learned
    bad = EASERecommender(session_window=1, session_weight=1.0)
    with pytest.raises(ValueError, match="session_window"):
        bad.fit(timed)
    assert not hasattr(bad, "n_items_")

"""Known-answer tests for the metric functions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from xingqu.discovery.evaluation import metrics


def test_hit_matrix_marks_targets_and_ignores_padding() -> None:
    # given two users; user 0 has targets {3, 5}, user 1 has target {1}; item 3 also in user 1's list
    recommended = np.array([[3, 4, 5], [3, 1, -1]])
    users = np.array([0, 1])
    targets = {0 * 10 + 3, 0 * 10 + 5, 1 * 10 + 1}
    # when
    hits = metrics.hit_matrix(recommended, users, targets, n_items=10)
    # then
    assert hits.tolist() == [[True, False, True], [False, True, False]]


def test_ranking_metrics_known_answers() -> None:
    # given user 0: hits at ranks 0 and 2 of 2 targets; user 1: hit at rank 1 of 1 target;
    # user 2: no hit among 3 targets
    hits = np.array(
        [[True, False, True, False], [False, True, False, False], [False, False, False, False]]
    )
    n_relevant = np.array([2, 1, 3])
    # when / then
    assert metrics.hit_rate_at_k(hits, 1).tolist() == [1.0, 0.0, 0.0]
    assert metrics.hit_rate_at_k(hits, 2).tolist() == [1.0, 1.0, 0.0]
    assert metrics.recall_at_k(hits, n_relevant, 2).tolist() == [0.5, 1.0, 0.0]
    assert metrics.recall_at_k(hits, n_relevant, 3).tolist() == [1.0, 1.0, 0.0]
    assert metrics.mrr_at_k(hits, 4).tolist() == [1.0, 0.5, 0.0]
    assert metrics.mrr_at_k(hits, 1).tolist() == [1.0, 0.0, 0.0]
    ndcg = metrics.ndcg_at_k(hits, n_relevant, 3)
    assert ndcg[0] == pytest.approx((1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))
    assert ndcg[1] == pytest.approx(1 / math.log2(3))
    assert ndcg[2] == 0.0


def test_ndcg_ideal_is_capped_at_k_and_perfect_lists_score_one() -> None:
    # given 5 targets and a top-2 list holding two of them
    hits = np.array([[True, True]])
    # when / then
    assert metrics.ndcg_at_k(hits, np.array([5]), 2).tolist() == [1.0]


def test_mrr_without_cut_off_uses_the_whole_list() -> None:
    hits = np.zeros((1, 100), dtype=bool)
    hits[0, 49] = True
    assert metrics.mrr(hits).tolist() == [pytest.approx(1 / 50)]
    assert metrics.mrr_at_k(hits, 20).tolist() == [0.0]


def test_k_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        metrics.hit_rate_at_k(np.zeros((1, 3), dtype=bool), 0)


def test_auc_known_answers() -> None:
    assert metrics.auc([1, 1, 0, 0], [0.9, 0.8, 0.3, 0.1]) == 1.0
    assert metrics.auc([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9]) == 0.0
    # one positive above one negative, below the other: 1/2
    assert metrics.auc([1, 0, 0], [0.5, 0.9, 0.1]) == 0.5
    # ties count one half
    assert metrics.auc([1, 0], [0.4, 0.4]) == 0.5
    assert metrics.auc([1, 1, 0], [0.7, 0.3, 0.3]) == 0.75
    assert math.isnan(metrics.auc([1, 1], [0.2, 0.3]))


def test_gauc_weights_users_by_impressions_and_drops_one_class_users() -> None:
    # given user 7: 4 impressions, AUC 1.0; user 8: 2 impressions, AUC 0.0;
    # user 9: only positives (dropped)
    users = [7, 7, 7, 7, 8, 8, 9, 9]
    labels = [1, 0, 0, 0, 1, 0, 1, 1]
    scores = [0.9, 0.1, 0.2, 0.3, 0.1, 0.9, 0.5, 0.5]
    # when / then
    assert metrics.gauc(users, labels, scores) == pytest.approx((4 * 1.0 + 2 * 0.0) / 6)
    assert math.isnan(metrics.gauc([1, 1], [1, 1], [0.1, 0.2]))


def test_catalogue_coverage_counts_distinct_items() -> None:
    assert metrics.catalogue_coverage(np.array([[0, 1], [1, -1]]), n_items=8) == 2 / 8


def test_novelty_is_mean_self_information_of_user_popularity() -> None:
    # given 4 users; item 0 touched by all 4 (twice by user 0), item 1 by 1 user, item 2 by none
    users = np.array([0, 0, 1, 2, 3, 1])
    items = np.array([0, 0, 0, 0, 0, 1])
    # when
    info = metrics.item_self_information(items, users, n_items=3, n_users=4)
    # then
    assert info.tolist() == [0.0, 2.0, 2.0]
    assert metrics.novelty(np.array([[0, 1], [1, -1]]), info) == pytest.approx(4 / 3)


def test_discovery_rate_counts_hits_in_categories_new_to_the_user() -> None:
    # given items 0..3 in categories [0, 1, 1, -1]; user 0 knows category 0, user 1 knows 1
    categories = np.array([0, 1, 1, -1])
    known = {0 * 2 + 0, 1 * 2 + 1}
    recommended = np.array([[0, 1, 3], [2, 0, 1]])
    hits = np.array([[True, True, True], [True, True, False]])
    users = np.array([0, 1])
    # when
    new, total = metrics.discovery_counts(recommended, hits, users, categories, known, 2)
    # then: user 0's item 1 (cat 1) is new, item 0 is not, item 3 has no category;
    # user 1's item 0 (cat 0) is new, item 2 (cat 1) is not
    assert (new, total) == (2, 4)
    assert metrics.discovery_rate(recommended, hits, users, categories, known, 2) == 0.5

"""The protocol with fake estimators whose answers are known."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy import sparse

from xingqu.discovery.evaluation import protocol, splits
from xingqu.discovery.evaluation.errors import EvaluationError
from xingqu.discovery.interactions import Interactions
from xingqu.shared.errors import DomainError


def leave_one_out_split() -> splits.Split:
    # 3 users, 6 items (categories 0,0,1,1,2,2); sequences (time order):
    # user 0: 0 1 2 3   → valid 2, test 3
    # user 1: 1 0 4 5   → valid 4, test 5
    # user 2: 2 3 0 1   → valid 0, test 1
    sequences = [[0, 1, 2, 3], [1, 0, 4, 5], [2, 3, 0, 1]]
    users = [u for u, s in enumerate(sequences) for _ in s]
    items = [i for s in sequences for i in s]
    stamps = [t for s in sequences for t in range(len(s))]
    data = Interactions(
        user_ids=np.asarray(users, dtype=np.int64),
        item_ids=np.asarray(items, dtype=np.int64),
        n_users=3,
        n_items=6,
        timestamps=np.asarray(stamps, dtype=np.int64),
        item_categories=np.asarray([0, 0, 1, 1, 2, 2], dtype=np.int64),
    )
    return splits.leave_one_out("beauty", data)


class FixedLists:
    """Recommends given lists (per user), dropping excluded items; records what it was fit on."""

    def __init__(self, lists: dict[int, list[int]]) -> None:
        self.lists = lists
        self.fitted_on: list[tuple[int, int]] = []
        self.excluded: dict[int, list[int]] = {}

    def fit(self, data: Interactions) -> FixedLists:
        self.fitted_on = sorted(zip(data.user_ids.tolist(), data.item_ids.tolist(), strict=True))
        return self

    def recommend(
        self, user_ids: Any, k: int, *, exclude: sparse.csr_matrix | None = None
    ) -> tuple[Any, Any]:
        items = np.full((len(user_ids), k), -1, dtype=np.int64)
        for row, user in enumerate(user_ids.tolist()):
            # (exclude rows are indexed by user id, not by position in the batch)
            banned = set(exclude[user].indices.tolist()) if exclude is not None else set()
            self.excluded[user] = sorted(banned)
            kept = [i for i in self.lists[user] if i not in banned][:k]
            items[row, : len(kept)] = kept
        return items, np.zeros(items.shape, dtype=np.float32)


def test_test_stage_fits_on_train_plus_valid_and_excludes_it() -> None:
    # given lists that put each user's test item first
    split = leave_one_out_split()
    model = FixedLists({0: [3, 4, 5], 1: [5, 2, 3], 2: [1, 4, 5]})
    # when
    result = protocol.evaluate(model, split, (1, 2), stage="test", progress=False)
    # then
    assert model.fitted_on == sorted(
        (u, i) for u, s in enumerate([[0, 1, 2], [1, 0, 4], [2, 3, 0]]) for i in s
    )
    assert model.excluded == {0: [0, 1, 2], 1: [0, 1, 4], 2: [0, 2, 3]}
    assert result["users"] == 3 and result["targets"] == 3 and result["stage"] == "test"
    m = result["metrics"]
    assert (m["hr@1"], m["ndcg@1"], m["mrr@2"], m["recall@2"]) == (1.0, 1.0, 1.0, 1.0)
    assert m["seen_recommended"] == 0.0
    # hits: user 0 item 3 (cat 1, known from item 2 → not new); user 1 item 5 (cat 2, known
    # from item 4 → not new); user 2 item 1 (cat 0, known from item 0 → not new)
    assert m["discovery@1"] == 0.0
    assert m["coverage@2"] == pytest.approx(5 / 6)  # items 1, 2, 3, 4, 5


def test_valid_stage_fits_on_train_and_scores_the_valid_targets() -> None:
    # given lists where only user 1's valid item (4, category 2: new to user 1) is hit, at rank 2
    split = leave_one_out_split()
    model = FixedLists({0: [5, 4, 3], 1: [3, 4, 5], 2: [4, 5, 3]})
    # when
    result = protocol.evaluate(model, split, (1, 2), stage="valid", progress=False)
    # then
    assert len(model.fitted_on) == 6
    m = result["metrics"]
    assert m["hr@1"] == 0.0
    assert m["hr@2"] == pytest.approx(1 / 3)
    assert m["ndcg@2"] == pytest.approx((1 / np.log2(3)) / 3)
    assert m["mrr@2"] == pytest.approx(0.5 / 3)
    assert m["discovery@2"] == 1.0


def test_recommending_seen_items_is_counted_not_hidden() -> None:
    # given a model that ignores the exclusion
    class IgnoresExclusion(FixedLists):
        def recommend(
            self, user_ids: Any, k: int, *, exclude: sparse.csr_matrix | None = None
        ) -> tuple[Any, Any]:
            return super().recommend(user_ids, k, exclude=None)

    split = leave_one_out_split()
    model = IgnoresExclusion({0: [0, 3], 1: [1, 5], 2: [2, 1]})
    # when
    result = protocol.evaluate(model, split, (2,), stage="test", progress=False)
    # then
    assert result["metrics"]["seen_recommended"] == 3.0
    assert result["metrics"]["hr@2"] == 1.0
    assert result["metrics"]["mrr@2"] == 0.5


def test_wrongly_shaped_lists_are_a_typed_error() -> None:
    class TooShort(FixedLists):
        def recommend(
            self, user_ids: Any, k: int, *, exclude: sparse.csr_matrix | None = None
        ) -> tuple[Any, Any]:
            items, scores = super().recommend(user_ids, k, exclude=exclude)
            return items[:, :1], scores[:, :1]

    with pytest.raises(DomainError) as raised:
        protocol.evaluate(
            TooShort({0: [3], 1: [5], 2: [1]}), leave_one_out_split(), (2,), progress=False
        )
    assert raised.value.code == EvaluationError.INVALID_RECOMMENDATIONS


def test_batches_give_the_same_lists_as_one_batch() -> None:
    split = leave_one_out_split()
    model = FixedLists({0: [3, 4, 5], 1: [5, 2, 3], 2: [1, 4, 5]})
    history = split.fit_data("test").to_csr(binary=True)
    users = np.arange(3)
    one = protocol.top_k(model, users, history, 3, batch_size=3)
    many = protocol.top_k(model, users, history, 3, batch_size=1)
    assert one.tolist() == many.tolist() == [[3, 4, 5], [5, 2, 3], [1, 4, 5]]


def test_a_real_estimator_never_gets_back_seen_items_in_later_batches() -> None:
    # given popularity fitted on the test stage's fit data (regression: the exclusion rows
    # were once passed in batch order, so batches after the first excluded the wrong rows)
    from xingqu.discovery.retrieval import PopularityRecommender

    split = leave_one_out_split()
    fit_data = split.fit_data("test")
    history = fit_data.to_csr(binary=True)
    model = PopularityRecommender().fit(fit_data)
    # when ranked one user per batch
    lists = protocol.top_k(model, np.array([2, 1, 0]), history, 3, batch_size=1)
    # then no list holds an item of its own user's history
    for row, user in enumerate([2, 1, 0]):
        seen = set(history[user].indices.tolist())
        assert seen and not seen & set(lists[row].tolist())


def test_full_ranking_reports_mrr_without_cut_off() -> None:
    split = leave_one_out_split()
    model = FixedLists({0: [4, 5, 3], 1: [2, 3, 5], 2: [4, 5, 1]})
    result = protocol.evaluate(model, split, (1,), full_ranking=True, progress=False)
    assert result["metrics"]["mrr"] == pytest.approx(1 / 3)
    assert result["metrics"]["hr@1"] == 0.0


def test_impression_auc_uses_score_when_the_model_has_one_and_ranks_otherwise() -> None:
    # given impressions for user 0: items 3 (clicked, bought), 4 (clicked), 5 (not clicked)
    split = leave_one_out_split()
    rows = splits.Impressions(
        np.array([0, 0, 0]),
        np.array([3, 4, 5]),
        np.array([1, 1, 0], np.int8),
        np.array([1, 0, 0], np.int8),
    )
    with_rows = splits.Split(**{**split.__dict__, "impressions": {"test": rows}})

    class Scored(FixedLists):
        def score(self, user_ids: Any, item_ids: Any) -> Any:
            return np.where(item_ids == 5, 1.0, 0.0) + np.where(item_ids == 3, 0.5, 0.0)

    # when
    scored = protocol.evaluate(Scored({0: [3], 1: [5], 2: [1]}), with_rows, (1,), progress=False)
    ranked = protocol.evaluate(
        FixedLists({0: [3, 4, 5], 1: [5], 2: [1]}), with_rows, (1,), progress=False
    )
    # then: scores 3→0.5, 4→0, 5→1: clicks (3, 4) both below the non-click 5
    assert scored["metrics"]["auc_click"] == 0.0
    assert scored["metrics"]["auc_buy"] == 0.5  # the buy (0.5) beats 4 (0), loses to 5 (1)
    assert scored["metrics"]["auc_buy_given_click"] == 1.0
    # by rank: 3 first, 4 second, 5 third
    assert ranked["metrics"]["auc_click"] == 1.0
    assert ranked["metrics"]["gauc_click"] == 1.0

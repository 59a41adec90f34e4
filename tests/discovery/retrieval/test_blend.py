"""Fusing channels' candidate lists: rank and score normalisation, quotas, sources."""

from __future__ import annotations

from pathlib import Path
from typing import Self

import numpy as np
import pytest
from scipy import sparse

from tests.discovery.retrieval.data import two_groups
from xingqu.discovery.interactions import Interactions
from xingqu.discovery.retrieval import (
    BlendRecommender,
    EASERecommender,
    PopularityRecommender,
    TransitionRecommender,
    fusion,
)
from xingqu.discovery.retrieval.base import FloatArray, IntArray, Recommender
from xingqu.discovery.retrieval.holdout import hold_out


class FixedScores(Recommender):
    """A fake channel: the same scores for every user (-inf: not proposed)."""

    def __init__(self, *, scores: list[float]) -> None:
        self.scores = scores

    def fit(self, data: Interactions) -> Self:
        self.n_users_ = data.n_users
        self.n_items_ = data.n_items
        return self

    def _scores(self, users: IntArray) -> FloatArray:
        row = np.array(self.scores, dtype=np.float32)
        return np.broadcast_to(row, (len(users), len(row))).copy()


NO = -np.inf
DATA = Interactions(np.array([0]), np.array([0]), n_users=2, n_items=6)


def _blend(a: list[float], b: list[float], **params: object) -> BlendRecommender:
    channels = [("a", FixedScores(scores=a)), ("b", FixedScores(scores=b))]
    return BlendRecommender(channels=channels, **params).fit(DATA)


def test_rank_fusion_adds_each_channels_rank_weights() -> None:
    # given channel a ranks 0, 1, 2 and channel b ranks 2, 0, 3
    blend = _blend([3, 2, 1, NO, NO, NO], [2, NO, 3, 1, NO, NO], candidates=3, rank_constant=1.0)
    # when: a rank r is worth (1 + 1) / (1 + r): 1, 2/3, 1/2
    items, scores, sources = blend.recommend_with_sources(np.array([0]), 5)
    # then 0: 1 + 2/3, 2: 1/2 + 1, 1: 2/3, 3: 1/2; item 4 and 5 are nobody's candidates
    assert items.tolist() == [[0, 2, 1, 3, -1]]
    np.testing.assert_allclose(scores[0, :4], [5 / 3, 3 / 2, 2 / 3, 1 / 2], rtol=1e-6)
    assert sources.tolist() == [[0, 1, 0, 1, -1]]


def test_score_fusion_scales_each_channels_list_to_zero_one() -> None:
    # given a scores 0, 1, 2 as 4, 2, 0 and b scores 2, 0, 3 as 10, 5, 0; b weighs triple
    blend = _blend(
        [4, 2, 0, NO, NO, NO], [5, NO, 10, 0, NO, NO], fusion="score", weights=[1.0, 3.0]
    )
    # when
    items, scores = blend.recommend(np.array([0]), 4)
    # then 2: 0 + 3 × 1, 0: 1 + 3 × 0.5, 1: 0.5, 3: 0
    assert items.tolist() == [[2, 0, 1, 3]]
    np.testing.assert_allclose(scores, [[3.0, 2.5, 0.5, 0.0]])


def test_a_quota_gives_a_weak_channel_its_share_of_the_slots() -> None:
    # given a strong channel a (0, 1, 2) and a weak channel b (3, 4, 5)
    a, b = [3, 2, 1, NO, NO, NO], [NO, NO, NO, 3, 2, 1]
    plain = _blend(a, b, weights=[3.0, 1.0], candidates=3)
    quota = _blend(a, b, weights=[3.0, 1.0], candidates=3, quotas={"b": 0.5})
    # when
    plain_items, _ = plain.recommend(np.array([0, 1]), 2)
    items, scores, sources = quota.recommend_with_sources(np.array([0, 1]), 2)
    # then b's best displaces a's second, and the list stays in fused order
    assert plain_items.tolist() == [[0, 1], [0, 1]]
    assert items.tolist() == [[0, 3], [0, 3]]
    assert sources.tolist() == [[0, 1], [0, 1]]
    np.testing.assert_allclose(scores[0], [3.0, 1.0])


def test_exclusions_reach_every_channel() -> None:
    # given user 0 excludes each channel's best item
    blend = _blend([3, 2, 1, NO, NO, NO], [NO, NO, NO, 3, 2, 1], quotas={"b": 0.5})
    exclude = np.zeros((2, 6))
    exclude[0, [0, 3]] = 1
    # when
    items, _ = blend.recommend(np.array([0]), 2, exclude=sparse.csr_matrix(exclude))
    # then each channel's second best takes its place
    assert items.tolist() == [[1, 4]]


def test_without_refit_the_channels_must_already_be_fitted() -> None:
    data = two_groups()
    fitted = PopularityRecommender().fit(data)
    unfitted = PopularityRecommender()
    # an unfitted channel is refused
    with pytest.raises(ValueError, match="channel fresh is not fitted"):
        BlendRecommender(channels=[("fresh", unfitted)], refit=False).fit(data)
    # a fitted one is used as it is
    scores_before = fitted.item_scores_
    blend = BlendRecommender(channels=[("pop", fitted)], refit=False).fit(data)
    assert blend.channels_[0] is fitted and fitted.item_scores_ is scores_before


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"channels": []}, "at least one channel"),
        ({"channels": [("x", PopularityRecommender())] * 2}, "unique"),
        ({"channels": [("a b", PopularityRecommender())]}, "letters"),
        ({"channels": [("x", PopularityRecommender())], "weights": [1, 2]}, "one weight"),
        ({"channels": [("x", PopularityRecommender())], "fusion": "max"}, "fusion"),
        ({"channels": [("x", PopularityRecommender())], "quotas": {"y": 0.1}}, "unknown"),
        ({"channels": [("x", PopularityRecommender())], "quotas": {"x": 1.5}}, "shares of k"),
    ],
)
def test_bad_blends_are_refused_at_fit(params: dict[str, object], message: str) -> None:
    blend = BlendRecommender(**params)
    with pytest.raises(ValueError, match=message):
        blend.fit(two_groups())
    assert not hasattr(blend, "n_items_")


def test_hold_out_takes_each_users_last_item_and_all_its_repeats() -> None:
    # given user 0 whose last item, 3, also appears twice before
    data = two_groups()
    # when
    rest, users, items = hold_out(data, "last")
    # then every user with two distinct items holds out their last one (16 has no history)
    assert users.tolist() == list(range(16))
    assert items.tolist() == [3] + [4] * 7 + [11] + [10] * 5 + [1, 7]
    assert len(data) - len(rest) == 16 + 2  # user 0's earlier 3s leave too
    held = set(zip(users.tolist(), items.tolist(), strict=True))
    assert not held & set(zip(rest.user_ids.tolist(), rest.item_ids.tolist(), strict=True))


def test_random_hold_out_is_seeded() -> None:
    data = two_groups()
    first = hold_out(data, "random", seed=4, max_users=5)
    again = hold_out(data, "random", seed=4, max_users=5)
    assert len(first[1]) == 5
    assert first[1].tolist() == again[1].tolist() and first[2].tolist() == again[2].tolist()
    with pytest.raises(ValueError, match="holdout must be one of"):
        hold_out(data, "first")


def test_tuning_weights_the_channel_that_predicts_held_out_items() -> None:
    # given popularity and transitions
    data = two_groups()
    channels = [("pop", PopularityRecommender()), ("trans", TransitionRecommender(order=1))]
    # when the blend tunes both weights over 0, 1 and 4 on each user's last item
    blend = BlendRecommender(channels=channels, tune=True, tune_grid=(0.0, 1.0, 4.0)).fit(data)
    # then popularity is dropped, and the blend beats popularity alone on the same hold-out
    rest, users, targets = hold_out(data, "last")
    alone = BlendRecommender(channels=[("pop", PopularityRecommender())]).fit(rest)
    alone_items, _ = alone.recommend(users, 10, exclude=rest.to_csr())
    assert blend.weights_ == [0.0, 1.0]
    assert blend.tune_ndcg_ > fusion.ndcg(alone_items, targets, 10)
    # and the channels end fitted on all the data
    assert blend.channels_[1].counts_.sum() > TransitionRecommender(order=1).fit(rest).counts_.sum()


def test_an_optional_channel_that_refuses_the_data_is_left_out(tmp_path: Path) -> None:
    # given EASE limited below the catalogue size, beside popularity
    data = two_groups()

    def channels() -> list[tuple[str, Recommender]]:
        return [("ease", EASERecommender(max_items=5)), ("pop", PopularityRecommender())]

    # when EASE is optional, the blend runs on popularity alone
    blend = BlendRecommender(channels=channels(), optional=["ease"]).fit(data)
    assert blend.active_ == ["pop"] and blend.weights_ == [1.0]
    assert blend.recommend(np.array([0]), 1)[0].tolist() == [[3]]
    # and it saves and loads as such
    blend.save(tmp_path / "blend")
    loaded = Recommender.load(tmp_path / "blend")
    assert isinstance(loaded, BlendRecommender) and loaded.active_ == ["pop"]
    # when it is not optional, its refusal stands
    with pytest.raises(ValueError, match="max_items=5"):
        BlendRecommender(channels=channels()).fit(data)


def test_every_named_estimator_builds_without_arguments() -> None:
    from xingqu.discovery.retrieval import ESTIMATORS

    for name, factory in ESTIMATORS.items():
        if name == "sasrec":
            pytest.importorskip("torch")
        assert isinstance(factory(), Recommender), name


def test_the_taste_blend_fits_and_serves_the_known_answer() -> None:
    from xingqu.discovery.retrieval import ESTIMATORS

    # given the two groups, and ALS small enough for them
    data = two_groups()
    blend = ESTIMATORS["blend-taste"]()
    blend.channels[1][1].factors = 2
    # when
    items, _ = blend.fit(data).recommend(np.array([14, 15]), 3, exclude=data.to_csr())
    # then group A's user gets group A's items, group B's user group B's
    assert set(items[0].tolist()) <= {2, 3, 4, 5} and set(items[1].tolist()) <= {8, 9, 10, 11}
    assert isinstance(blend, BlendRecommender)
    assert blend.active_ == ["ease", "als", "covisitation", "transition"]


def _two_days() -> Interactions:
    # day 0 (t < 100): user 0 sees 0, 1; user 1 sees 2; user 2 sees 3
    # day 1 (t ≥ 100): user 0 sees 1 again, then 4, then 5; user 1 sees 2 again only;
    # user 2 sees 0
    return Interactions(
        user_ids=np.array([0, 0, 1, 2, 0, 0, 0, 1, 2]),
        item_ids=np.array([0, 1, 2, 3, 1, 4, 5, 2, 0]),
        n_users=3,
        n_items=6,
        timestamps=np.array([10, 20, 30, 40, 110, 120, 130, 140, 150]),
    )


def test_period_hold_out_keeps_the_days_before_and_targets_each_users_first_new_item() -> None:
    # given two days of browsing
    data = _two_days()
    # when the last 60 time units (everything after t = 90) are held out
    rest, users, items = hold_out(data, "period", period=60)
    # then the rest is day 0 alone; user 0's first new item of day 1 is 4 (1 is a repeat),
    # user 1 met nothing new, user 2 met 0
    assert sorted(rest.timestamps.tolist()) == [10, 20, 30, 40]
    assert users.tolist() == [0, 2]
    assert items.tolist() == [4, 0]


def test_period_hold_out_needs_a_period_and_timestamps() -> None:
    data = _two_days()
    with pytest.raises(ValueError, match="positive period"):
        hold_out(data, "period")
    untimed = Interactions(data.user_ids, data.item_ids, n_users=3, n_items=6)
    with pytest.raises(ValueError, match="positive period"):
        hold_out(untimed, "period", period=60)


def test_the_browse_blend_tunes_on_the_last_period() -> None:
    from xingqu.discovery.retrieval import ESTIMATORS

    # given the two days, categories on the items, and ALS small enough for them
    data = _two_days()
    data = Interactions(
        data.user_ids,
        data.item_ids,
        n_users=3,
        n_items=6,
        timestamps=data.timestamps,
        item_categories=np.array([0, 0, 1, 1, 0, 0]),
    )
    blend = ESTIMATORS["blend-browse"](period=60.0)
    blend.channels[1][1].factors = 2
    # when
    blend.fit(data)
    items, _ = blend.recommend(np.array([0, 1, 2]), 2, exclude=data.to_csr())
    # then it tuned on the held-out day, refitted every channel on both days (4 → 5 follows
    # only on day 1), and serves nothing already seen
    assert blend.active_ == ["category", "als", "transition", "covisitation"]
    assert hasattr(blend, "tune_ndcg_") and len(blend.weights_) == 4
    assert blend.channels_[2].counts_[4, 5] > 0
    seen = {(u, i) for u, i in zip(data.user_ids.tolist(), data.item_ids.tolist(), strict=True)}
    assert not {(u, int(i)) for u in range(3) for i in items[u] if i >= 0} & seen

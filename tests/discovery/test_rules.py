"""Discovery's pure rules: behaviour checks, profile math, popularity and the feed mix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from xingqu.discovery.rules import (
    Action,
    Channel,
    Signal,
    allocate,
    candidate_quotas,
    category_fatigue,
    check_behaviour,
    check_watch,
    decay,
    freshness,
    hidden_interest_odds,
    interest_profile,
    interest_shares,
    interleave,
    max_watch_seconds,
    parse_action,
    parse_channels,
    passed_over,
    popularity_points,
    rank_strength,
    service_quality,
    signal_weights,
    watch_completion,
)
from xingqu.shared.errors import DomainError

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def _signal(
    action: Action,
    category: int,
    content: int | None = None,
    value: float = 0.0,
    duration: int = 0,
    ago: timedelta = timedelta(0),
) -> Signal:
    return Signal(action, category, content, value, duration, NOW - ago)


def test_profile_weights_actions_by_intent_with_decay() -> None:
    # given a week of behaviour across five categories
    signals = [
        _signal(Action.PAY, 1),  # 10
        _signal(Action.PAY, 1, ago=WEEK),  # 10 × ½
        _signal(Action.WATCH, 2, content=10, value=30, duration=60),  # 1 × (30/60 − 0.2)
        _signal(Action.IMPRESSION, 2, content=10),  # engaged (watched): 0
        _signal(Action.IMPRESSION, 3, content=11),  # ignored: −0.1
        _signal(Action.REVIEW, 4, value=1),  # 1 × (1 − 3)
        _signal(Action.REVIEW, 4, value=5, ago=2 * WEEK),  # 1 × (5 − 3) × ¼
        _signal(Action.WATCH, 5, content=12, value=5, duration=0),  # a post read through: 0.8
        _signal(Action.WATCH, 5, content=13, value=1, duration=60),  # a glance: 1 × (1/60 − 0.2)
        _signal(Action.ADD_TO_CART, 6, value=3),  # 4 (units do not scale interest)
        _signal(Action.COMPLAINT, 6),  # −4
    ]
    # when
    profile = interest_profile(signals, NOW)
    # then
    assert profile == pytest.approx(
        {1: 15.0, 2: 0.3, 3: -0.1, 4: -1.5, 5: 0.8 + 1 / 60 - 0.2, 6: 0.0}
    )


def test_action_order_is_pay_cart_click_like_watch_ignored_impression_or_glance() -> None:
    one_each = [
        _signal(Action.PAY, 1),
        _signal(Action.ADD_TO_CART, 1),
        _signal(Action.PRODUCT_CLICK, 1),
        _signal(Action.LIKE, 1, content=1),
        _signal(Action.WATCH, 1, content=2, value=60, duration=60),
        _signal(Action.IMPRESSION, 1, content=3),
        _signal(Action.WATCH, 1, content=4, value=6, duration=60),  # scrolled past
    ]
    weights = list(signal_weights(one_each))
    assert weights == pytest.approx([10.0, 4.0, 2.0, 1.5, 0.8, -0.1, -0.1])
    assert weights == sorted(weights, reverse=True) and weights[0] > 2 * weights[1]


def test_future_signals_do_not_grow_and_empty_history_is_empty() -> None:
    assert list(
        decay(
            np.array([0.0, WEEK.total_seconds(), 2 * WEEK.total_seconds(), -5.0]),
            WEEK.total_seconds(),
        )
    ) == [1.0, 0.5, 0.25, 1.0]
    assert interest_profile([], NOW) == {}


def test_interest_shares_keep_the_top_positive_categories() -> None:
    profile = {1: 15.0, 2: 0.5, 3: -0.1, 4: 0.0, 5: 1.0}
    assert interest_shares(profile, 2) == [(1, 15 / 16), (5, 1 / 16)]
    assert interest_shares(profile, 9) == [(1, 15 / 16.5), (5, 1 / 16.5), (2, 0.5 / 16.5)]
    assert interest_shares({3: -1.0}, 5) == []


def test_watch_limits_and_completion() -> None:
    assert (max_watch_seconds(0), max_watch_seconds(60), max_watch_seconds(600)) == (
        5.0,
        66.0,
        660.0,
    )
    check_watch(66.0, 60)
    check_watch(0.0, 60)
    with pytest.raises(DomainError) as err:
        check_watch(66.5, 60)
    assert err.value.code == "discovery.invalid_behaviour"
    assert (watch_completion(30, 60), watch_completion(90, 60), watch_completion(2.5, 0)) == (
        0.5,
        1.0,
        0.5,
    )


@pytest.mark.parametrize(
    ("action", "kw", "code"),
    [
        ("pay", {"product_id": 1}, "discovery.action_not_recordable"),
        ("add_to_cart", {"product_id": 1}, "discovery.action_not_recordable"),
        ("follow", {}, "discovery.action_not_recordable"),
        ("watch", {"value": 3.0}, "discovery.invalid_behaviour"),  # no content
        ("product_click", {"content_id": 1}, "discovery.invalid_behaviour"),  # no product
        ("complaint", {}, "discovery.invalid_behaviour"),
        ("like", {"content_id": 1, "value": 1.0}, "discovery.invalid_behaviour"),
        ("review", {"product_id": 1, "value": 6.0}, "discovery.invalid_behaviour"),
        ("review", {"product_id": 1, "value": 0.0}, "discovery.invalid_behaviour"),
        ("watch", {"content_id": 1, "value": -1.0}, "discovery.invalid_behaviour"),
        ("watch", {"content_id": 1, "value": float("nan")}, "discovery.invalid_behaviour"),
        ("watch", {"content_id": 1, "value": float("inf")}, "discovery.invalid_behaviour"),
        ("impression", {"content_id": 1, "request_id": "r" * 65}, "discovery.invalid_behaviour"),
    ],
)
def test_bad_behaviour_is_refused(action: str, kw: dict[str, object], code: str) -> None:
    args: dict[str, object] = {
        "content_id": None,
        "product_id": None,
        "value": 0.0,
        "request_id": None,
    }
    args.update(kw)
    with pytest.raises(DomainError) as err:
        check_behaviour(parse_action(action), **args)  # type: ignore[arg-type]
    assert err.value.code == code


def test_good_behaviour_passes_and_unknown_actions_do_not() -> None:
    check_behaviour(Action.REVIEW, content_id=None, product_id=1, value=4.0, request_id=None)
    check_behaviour(Action.COMPLAINT, content_id=5, product_id=None, value=0.0, request_id="abc")
    check_behaviour(Action.WATCH, content_id=5, product_id=None, value=12.5, request_id=None)
    with pytest.raises(DomainError) as err:
        parse_action("purchase")
    assert err.value.code == "discovery.unknown_action"


def test_passed_over_counts_items_shown_without_any_positive_response() -> None:
    # given category 5: item 1 shown and glanced at (5 of 60 s), item 2 shown and ignored,
    # item 3 shown twice and ignored; category 6: item 4 shown and watched to the end;
    # category 7: item 5 shown and glanced at, but the person engaged with 7 elsewhere
    signals = [
        _signal(Action.IMPRESSION, 5, 1),
        _signal(Action.WATCH, 5, 1, value=5.0, duration=60),
        _signal(Action.IMPRESSION, 5, 2),
        _signal(Action.IMPRESSION, 5, 3),
        _signal(Action.IMPRESSION, 5, 3, ago=timedelta(hours=1)),
        _signal(Action.IMPRESSION, 6, 4),
        _signal(Action.WATCH, 6, 4, value=60.0, duration=60),
        _signal(Action.IMPRESSION, 7, 5),
        _signal(Action.WATCH, 7, 5, value=2.0, duration=60),
    ]
    # when
    passed = passed_over(signals, engaged_categories={7})
    # then each distinct item of 5 counts once; 6 was watched; 7 is an interest already
    assert passed == {5: 3}
    assert passed_over([], engaged_categories=()) == {}
    # and each passed item halves the odds of a hidden interest, the fatigue rising toward
    # the full penalty
    assert [hidden_interest_odds(n) for n in (0, 1, 2, 3)] == [1.0, 0.5, 0.25, 0.125]
    assert category_fatigue({5: 3, 8: 0}, 0.6) == {5: pytest.approx(0.6 * 0.875)}


def test_popularity_points_sum_engagement_per_content() -> None:
    points = popularity_points(
        [1, 1, 2, 2, 3], ["like", "refund", "watch", "impression", "pay"], [3, 1, 5, 100, 2]
    )
    assert points == {1: 0.0, 2: 5.0, 3: 16.0}
    assert popularity_points([], [], []) == {}


def test_allocate_splits_by_largest_remainder() -> None:
    assert allocate([0.6, 0.3, 0.1], 20) == [12, 6, 2]
    assert allocate([0.6, 0.3, 0.1], 3) == [2, 1, 0]
    assert allocate([0.6, 0.3, 0.1], 1) == [1, 0, 0]
    assert allocate([1.0, 1.0], 3) == [2, 1]
    assert allocate([0.0, 0.0], 3) == [0, 0]


def test_candidate_quotas_split_the_pool_among_the_available_channels() -> None:
    # given every channel, a page of 20 (a pool of 6 per slot = 120)
    everything = candidate_quotas(20, list(Channel))
    # then the shares of CANDIDATE_SHARES, largest remainder
    assert everything == {
        Channel.MODEL: 31,
        Channel.SESSION: 17,
        Channel.FOLLOW: 12,
        Channel.INTEREST: 24,
        Channel.EXPLORATION: 10,
        Channel.FRESH: 9,
        Channel.TRENDING: 17,
    }
    assert sum(everything.values()) == 120
    # a cold user: only fresh and trending; a small page still gets MIN_CANDIDATES
    assert candidate_quotas(5, [Channel.FRESH, Channel.TRENDING]) == {
        Channel.FRESH: 22,
        Channel.TRENDING: 38,
    }


def test_rank_strength_is_one_for_the_best_and_falls_slowly() -> None:
    assert rank_strength(3).tolist() == [1.0, 11 / 12, 11 / 13]
    assert rank_strength(0).tolist() == []


def test_interleave_spreads_queues_in_proportion() -> None:
    assert interleave([["a1", "a2", "a3", "a4"], ["b1", "b2"]], [4, 2]) == [
        "a1",
        "b1",
        "a2",
        "a3",
        "b2",
        "a4",
    ]
    assert interleave([["x"], ["y1", "y2", "y3"]], [1, 1]) == ["x", "y1", "y2", "y3"]
    assert interleave([["z"], [], ["w"]], [0, 5, 1]) == ["w"]


def test_freshness_halves_each_day() -> None:
    assert (freshness(0), freshness(86_400), freshness(-10)) == (1.0, 0.5, 1.0)


def test_service_quality_averages_the_log_and_the_experience_score() -> None:
    assert service_quality(0.8, None) == 0.8
    assert service_quality(0.8, 100.0) == pytest.approx(0.9)
    assert service_quality(0.8, 50.0) == pytest.approx(0.4)
    assert service_quality(0.6, 75.0) == pytest.approx(0.55)
    assert service_quality(1.0, 120.0) == 1.0  # clipped to the scale


def test_feed_channels_are_parsed_by_name() -> None:
    assert parse_channels(None) == frozenset(Channel)
    assert parse_channels(["model", "trending"]) == {Channel.MODEL, Channel.TRENDING}
    for bad in (["model", "telepathy"], []):
        with pytest.raises(ValueError, match="feed channels must be some of model, session"):
            parse_channels(bad)

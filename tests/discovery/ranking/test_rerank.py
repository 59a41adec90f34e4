"""Re-ranking: diversity (MMR), exploration slots, the new-merchant quota, caps, determinism."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from xingqu.discovery.ranking import Candidate, Placed, RerankPolicy, rerank
from xingqu.discovery.ranking.features import CHANNELS

PLAIN = RerankPolicy(
    mmr_lambda=1.0,
    category_penalty=0.0,
    creator_penalty=0.0,
    diversity_window=None,
    exploration_slots=(),
    new_merchant_share=0.0,
    max_per_creator=None,
    max_per_category=None,
)
"""Pure value order: no diversity, no slots, no quota, no caps (tests switch one thing on)."""


def _policy(**changes: object) -> RerankPolicy:
    return RerankPolicy(**{**PLAIN.__dict__, **changes})  # type: ignore[arg-type]


def _keys(page: list[Placed]) -> list[int]:
    return [p.candidate.key for p in page]


def _reasons(page: list[Placed]) -> list[str]:
    return [str(p.reason) for p in page]


def _ranked(keys: range, top: float, **fields: object) -> list[Candidate]:
    """Candidates with the given keys and values top, top - 1, ..."""
    return [Candidate(key=k, value=top - i, **fields) for i, k in enumerate(keys)]  # type: ignore[arg-type]


def test_mmr_spreads_categories_down_the_page() -> None:
    # given three categories of six items each, every item of category 1 worth more than any of
    # category 2, and those more than any of category 3
    pool = [
        *_ranked(range(0, 6), 100.0, category_id=1),
        *_ranked(range(10, 16), 90.0, category_id=2),
        *_ranked(range(20, 26), 80.0, category_id=3),
    ]
    diverse = _policy(mmr_lambda=0.5, category_penalty=1.0, diversity_window=2)
    # when
    page = rerank(pool, 6, diverse)
    by_value = rerank(pool, 6, PLAIN)
    classic = rerank(pool, 6, _policy(mmr_lambda=0.5, category_penalty=1.0))
    # then the windowed MMR cycles through the categories, best item of each first
    assert _keys(page) == [0, 10, 20, 1, 11, 21]
    assert _reasons(page) == ["value", "diversity", "diversity", "value", "diversity", "diversity"]
    assert [p.position for p in page] == [0, 1, 2, 3, 4, 5]
    # pure value takes category 1 only; classic MMR shows each category once, then goes by value
    assert _keys(by_value) == [0, 1, 2, 3, 4, 5]
    assert _reasons(by_value) == ["value"] * 6
    assert _keys(classic) == [0, 10, 20, 1, 2, 3]


def test_mmr_spreads_creators() -> None:
    # given creator 7's four items worth far more than creator 8's two
    pool = [*_ranked(range(0, 4), 100.0, creator_id=7), *_ranked(range(4, 6), 60.0, creator_id=8)]
    # when
    page = rerank(pool, 6, _policy(mmr_lambda=0.5, creator_penalty=1.0, diversity_window=1))
    # then the two creators alternate while both have items
    assert _keys(page) == [0, 4, 1, 5, 2, 3]


def test_category_fatigue_turns_the_page_away_from_what_the_person_passes_over() -> None:
    # given category 1's items worth a little more than category 2's (and a cheap item that
    # stretches the value scale), and the person has passed over category 1 before (fatigue
    # 0.6, a same-category neighbour's penalty)
    pool = [
        *_ranked(range(0, 3), 100.0, category_id=1),
        *_ranked(range(10, 13), 96.0, category_id=2),
        Candidate(key=30, value=0.0, category_id=3),
    ]
    policy = _policy(mmr_lambda=0.7, category_penalty=0.6, diversity_window=1)
    # when
    tired = rerank(pool, 4, policy, category_fatigue={1: 0.6})
    fresh = rerank(pool, 4, policy)
    # then category 2 leads: category 1 counts as if one of its items had just been placed
    # (after that, both carry the same penalty and alternate); without fatigue 1 leads
    assert _keys(tired) == [10, 0, 11, 1]
    assert _keys(fresh) == [0, 10, 1, 11]
    # and a negative fatigue is refused
    with pytest.raises(ValueError, match="fatigue"):
        rerank(pool, 4, policy, category_fatigue={1: -0.1})


def test_a_never_engaged_category_gets_one_item_per_page() -> None:
    # given three items each of categories 1 (engaged with), 2 and 3 (never), 1's worth most
    pool = [
        *_ranked(range(0, 3), 100.0, category_id=1),
        *_ranked(range(10, 13), 90.0, category_id=2),
        *_ranked(range(20, 23), 80.0, category_id=3),
    ]
    # when the caller says which categories the person has engaged with, and when it does not
    probing = rerank(pool, 9, PLAIN, engaged_categories={1})
    unknown = rerank(pool, 9, PLAIN)
    # then 2 and 3 show one item each and the page ends (caps are hard); by value otherwise
    assert _keys(probing) == [0, 1, 2, 10, 20]
    assert _keys(unknown) == [0, 1, 2, 10, 11, 12, 20, 21, 22]
    assert _keys(
        rerank(pool, 9, _policy(max_per_unengaged_category=None), engaged_categories=())
    ) == _keys(unknown)


def test_exploration_candidates_get_their_slots() -> None:
    # given ten valuable model items and three low-value exploration items
    model = _ranked(range(0, 10), 100.0, channel="model")
    exploration = _ranked(range(50, 53), 10.0, channel="exploration")
    policy = _policy(exploration_slots=(1, 3, 40))
    # when
    page = rerank(model + exploration, 5, policy)
    one = rerank([*model, exploration[0]], 5, policy)
    none = rerank(model, 5, policy)
    # then slots 1 and 3 hold the best exploration items; slot 40 is past the page
    assert _keys(page) == [0, 50, 1, 51, 2]
    assert _reasons(page) == ["value", "exploration", "value", "exploration", "value"]
    # with one exploration item the second slot goes by value; with none, nothing is invented
    assert _keys(one) == [0, 50, 1, 2, 3]
    assert _keys(none) == [0, 1, 2, 3, 4]
    assert "exploration" not in _reasons(none)


def test_new_merchants_get_their_share_spread_over_the_page() -> None:
    # given ten valuable items of established merchants and three of new merchants
    old = _ranked(range(0, 10), 100.0)
    new = _ranked(range(60, 63), 5.0, merchant_new=True)
    policy = _policy(new_merchant_share=0.25)
    # when
    page = rerank(old + new, 8, policy)
    # then a quarter of 8 positions: one new merchant by position 3, two by position 7
    assert _keys(page) == [0, 1, 2, 60, 3, 4, 5, 61]
    assert [p.position for p in page if p.reason == "new_merchant"] == [3, 7]
    assert sum(p.candidate.merchant_new for p in page) == 2


def test_a_new_merchant_placed_on_value_counts_towards_the_share() -> None:
    # given a new merchant's item that is the most valuable of all
    pool = [Candidate(key=70, value=200.0, merchant_new=True), *_ranked(range(0, 10), 100.0)]
    pool += _ranked(range(60, 63), 5.0, merchant_new=True)
    # when
    page = rerank(pool, 8, _policy(new_merchant_share=0.25))
    # then only one more is forced, at the last position
    assert _keys(page) == [70, 0, 1, 2, 3, 4, 5, 60]
    assert _reasons(page) == ["value"] * 7 + ["new_merchant"]


def test_the_share_is_not_invented_when_new_merchants_are_missing() -> None:
    # given one new merchant's item only, and then none at all
    old = _ranked(range(0, 10), 100.0)
    single = Candidate(key=60, value=5.0, merchant_new=True)
    policy = _policy(new_merchant_share=0.5)
    # when
    short = rerank([*old, single], 4, policy)
    without = rerank(old, 4, policy)
    # then the single one is placed as soon as due, the rest of the page goes by value
    assert _keys(short) == [0, 60, 1, 2]
    assert _reasons(short) == ["value", "new_merchant", "value", "value"]
    assert _keys(without) == [0, 1, 2, 3]
    assert all(p.candidate in old for p in without)


def test_per_page_caps_per_creator_category_and_shop() -> None:
    # given creator 1 with five items worth more than creator 2's two
    pool = [
        *_ranked(range(0, 5), 100.0, creator_id=1, category_id=1, shop_id=1),
        *_ranked(range(5, 7), 50.0, creator_id=2, category_id=2, shop_id=2),
    ]
    # when
    by_creator = rerank(pool, 5, _policy(max_per_creator=2))
    by_category = rerank(pool, 5, _policy(max_per_category=1))
    by_shop = rerank(pool, 5, _policy(max_per_shop=3))
    # then caps are hard: the page ends early rather than break one
    assert _keys(by_creator) == [0, 1, 5, 6]
    assert _keys(by_category) == [0, 5]
    assert _keys(by_shop) == [0, 1, 2, 5, 6]


def test_the_per_user_creator_exposure_cap_counts_the_window_and_the_page() -> None:
    # given creator 1 (five items) already shown to the user twice, creator 2 (two) never
    pool = [*_ranked(range(0, 5), 100.0, creator_id=1), *_ranked(range(5, 7), 50.0, creator_id=2)]
    # when
    one_left = rerank(pool, 5, PLAIN, recent_creator_exposure={1: 2}, creator_cap=3)
    none_left = rerank(pool, 5, PLAIN, recent_creator_exposure={1: 3}, creator_cap=3)
    no_cap = rerank(pool, 5, PLAIN, recent_creator_exposure={1: 3})
    # then
    assert _keys(one_left) == [0, 5, 6]
    assert _keys(none_left) == [5, 6]
    assert _keys(no_cap) == [0, 1, 2, 3, 4]


def test_caps_bind_exploration_slots_too() -> None:
    # given the only exploration item comes from a creator at its cap
    pool = [
        *_ranked(range(0, 5), 100.0),
        Candidate(key=50, value=1.0, creator_id=9, channel="exploration"),
    ]
    # when
    page = rerank(
        pool, 3, _policy(exploration_slots=(1,)), recent_creator_exposure={9: 1}, creator_cap=1
    )
    # then
    assert _keys(page) == [0, 1, 2]


def test_duplicate_keys_are_one_candidate_the_most_valuable_copy() -> None:
    # given the same item from two channels with two values
    pool = [
        Candidate(key=1, value=5.0, channel="trending"),
        Candidate(key=2, value=7.0),
        Candidate(key=1, value=9.0, channel="follow"),
    ]
    # when
    page = rerank(pool, 3, PLAIN)
    # then
    assert _keys(page) == [1, 2]
    assert page[0].candidate == Candidate(key=1, value=9.0, channel="follow")


def test_of_equally_valuable_copies_the_first_channel_is_kept_in_any_input_order() -> None:
    # given the same item, equally valuable, from two channels
    copies = [
        Candidate(key=1, value=9.0, channel="trending"),
        Candidate(key=1, value=9.0, channel="follow"),
    ]
    # when
    pages = [rerank(copies, 2, PLAIN), rerank(copies[::-1], 2, PLAIN)]
    # then "follow" comes before "trending" in CHANNELS
    assert [page[0].candidate.channel for page in pages] == ["follow", "follow"]
    assert [len(page) for page in pages] == [1, 1]


def test_ties_go_to_the_lower_key_whatever_the_input_order() -> None:
    # given equal values
    pool = [Candidate(key=k, value=1.0) for k in (5, 3, 4)]
    # when / then
    assert _keys(rerank(pool, 3, PLAIN)) == [3, 4, 5]
    assert _keys(rerank(pool[::-1], 3, RerankPolicy())) == [3, 4, 5]


def _random_pool(rng: np.random.Generator, n: int) -> list[Candidate]:
    return [
        Candidate(
            key=int(rng.integers(0, n)),  # some keys repeat
            value=float(rng.integers(0, 20)),  # many ties
            category_id=None if rng.random() < 0.1 else int(rng.integers(0, 6)),
            creator_id=None if rng.random() < 0.1 else int(rng.integers(0, 12)),
            shop_id=int(rng.integers(0, 8)),
            channel=str(rng.choice(CHANNELS)),
            merchant_new=bool(rng.random() < 0.15),
        )
        for _ in range(n)
    ]


def test_pages_are_deterministic_never_invent_and_never_repeat() -> None:
    rng = np.random.default_rng(11)
    policy = RerankPolicy(max_per_shop=4)
    for _ in range(30):
        # given a random pool with repeated keys and tied values, in two orders
        pool = _random_pool(rng, 60)
        shuffled = [pool[i] for i in rng.permutation(len(pool))]
        exposure = {int(c): int(rng.integers(0, 3)) for c in range(12)}
        # when
        page = rerank(pool, 20, policy, recent_creator_exposure=exposure, creator_cap=3)
        again = rerank(shuffled, 20, policy, recent_creator_exposure=exposure, creator_cap=3)
        # then
        assert page == again
        keys = _keys(page)
        assert len(keys) == len(set(keys)) <= 20
        assert {p.candidate for p in page} <= set(pool)
        assert [p.position for p in page] == list(range(len(page)))
        creators = Counter(
            p.candidate.creator_id for p in page if p.candidate.creator_id is not None
        )
        categories = Counter(
            p.candidate.category_id for p in page if p.candidate.category_id is not None
        )
        shops = Counter(p.candidate.shop_id for p in page)
        assert max(creators.values(), default=0) <= 2
        assert all(count + exposure[c] <= 3 for c, count in creators.items())
        assert max(categories.values(), default=0) <= 5
        assert max(shops.values(), default=0) <= 4


def test_invalid_arguments_are_refused() -> None:
    # when / then
    with pytest.raises(ValueError, match="mmr_lambda"):
        RerankPolicy(mmr_lambda=1.5)
    with pytest.raises(ValueError, match="new_merchant_share"):
        RerankPolicy(new_merchant_share=-0.1)
    with pytest.raises(ValueError, match="exploration_slots"):
        RerankPolicy(exploration_slots=(-1,))
    with pytest.raises(ValueError, match="max_per_creator"):
        RerankPolicy(max_per_creator=0)
    with pytest.raises(ValueError, match="max_per_unengaged_category"):
        RerankPolicy(max_per_unengaged_category=0)
    with pytest.raises(ValueError, match="k must be a non-negative integer"):
        rerank([], -1, RerankPolicy())
    with pytest.raises(ValueError, match="creator_cap"):
        rerank([], 3, RerankPolicy(), creator_cap=0)
    with pytest.raises(ValueError, match="non-finite value"):
        rerank([Candidate(key=1, value=float("nan"))], 3, RerankPolicy())
    assert rerank([], 3, RerankPolicy()) == []
    assert rerank([Candidate(key=1, value=1.0)], 0, RerankPolicy()) == []

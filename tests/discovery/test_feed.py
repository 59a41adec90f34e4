"""The feed engine without a model version: what it may show, how it follows interest, and what
it logs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tests.content import factories as made
from xingqu.bootstrap import Platform
from xingqu.catalog import services as catalog
from xingqu.catalog.rules import SkuSpec
from xingqu.content import services as content
from xingqu.discovery import services
from xingqu.discovery.engine.serving import TRAFFIC_LIMIT_FACTOR
from xingqu.discovery.feed import Feed, FeedEngine, feed
from xingqu.discovery.models import BehaviourEvent, ServedFeatures
from xingqu.discovery.ranking.features import FEATURES
from xingqu.discovery.services import RecordBehaviour
from xingqu.governance import cases
from xingqu.shared.access import SYSTEM, Actor
from xingqu.shared.errors import DomainError


def _like_all(p: Platform, content_ids: list[int], times: int = 1) -> None:
    for _ in range(times):
        fan = factories.consumer(p)
        services.record_behaviours(
            p.uow(), fan, [RecordBehaviour("like", content_id=c) for c in content_ids]
        )


def _products(result: Feed) -> dict[int, list[tuple[int, int, int]]]:
    return {
        i.content_id: [(x.product_id, x.sku_id, x.min_price_fen) for x in i.products]
        for i in result.items
    }


def test_the_feed_never_shows_what_cannot_be_bought(any_platform: Platform) -> None:
    # given content carrying products in every state
    p = any_platform
    creator, _ = made.creator(p)
    owner, shop = factories.merchant(p)
    on_sale = factories.product(p, owner, shop, price_fen=5_000).id
    delisted = factories.product(p, owner, shop).id
    sold_out = factories.product(p, owner, shop, stock=0).id
    two_skus = factories.product(
        p,
        owner,
        shop,
        skus=[SkuSpec("small", 3_000, 0), SkuSpec("large", 8_000, 4), SkuSpec("xl", 9_000, 2)],
    )
    mixed = made.item(p, creator, product_ids=[delisted, on_sale]).id
    only_delisted = made.item(p, creator, product_ids=[delisted]).id
    only_sold_out = made.item(p, creator, product_ids=[sold_out]).id
    no_products = made.item(p, creator).id
    cheapest_in_stock = made.item(p, creator, product_ids=[two_skus.id]).id
    removed = made.item(p, creator, product_ids=[on_sale]).id
    catalog.delist_product(p.uow(), owner, delisted)
    content.remove_content(p.uow(), creator, removed, "test")
    _like_all(
        p, [mixed, only_delisted, only_sold_out, removed]
    )  # popularity must not let them through
    # when a new viewer opens the feed
    result = feed(p.uow(), factories.consumer(p), limit=20)
    # then only buyable products are on the cards, and items left with none are gone
    large_sku = two_skus.skus[1].id
    assert _products(result) == {
        mixed: [(on_sale, _sku(p, on_sale), 5_000)],
        no_products: [],
        cheapest_in_stock: [(two_skus.id, large_sku, 8_000)],
    }
    # when the last product of an item goes off sale, the item leaves the next viewer's feed
    catalog.delist_product(p.uow(), owner, on_sale)
    later = feed(p.uow(), factories.consumer(p), limit=20)
    assert set(_products(later)) == {no_products, cheapest_in_stock}


def _sku(p: Platform, product_id: int) -> int:
    from xingqu.catalog.models import Sku

    with p.uow(readonly=True) as uow:
        return uow.session.scalars(select(Sku.id).where(Sku.product_id == product_id)).one()


def test_watching_a_new_category_brings_it_into_the_next_feed(platform: Platform, clock) -> None:  # type: ignore[no-untyped-def]
    # given six old toner videos (six creators), then 120 newer videos in ten other categories, half of them
    # liked: a cold feed (trending and the newest content) never reaches the toner
    p = platform
    creators = [made.creator(p, f"c{i}")[0] for i in range(10)]
    toner = made.leaf(p, "toner")
    toner_videos = [made.item(p, creators[n], category_id=toner).id for n in range(6)]
    clock.advance(timedelta(minutes=5))
    others = [
        made.item(p, creators[n % 10], category_id=made.leaf(p, f"other{n % 10}")).id
        for n in range(120)
    ]
    _like_all(p, others[::2])
    viewer = factories.consumer(p)
    first = feed(p.uow(), viewer, limit=10)
    assert len(first.items) == 10
    assert {i.channel for i in first.items} <= {"trending", "fresh"}
    assert not {i.content_id for i in first.items} & set(toner_videos)
    # when the viewer watches three toner videos to the end (seconds before the next page)
    clock.advance(timedelta(seconds=30))
    for video in toner_videos[:3]:
        services.record_behaviour(
            p.uow(), viewer, RecordBehaviour("watch", content_id=video, value=60)
        )
    second = feed(p.uow(), viewer, limit=10)
    # then the interest channel serves the other three toner videos, and nothing seen returns
    shown_toner = [i for i in second.items if i.category_id == toner]
    assert sorted(i.content_id for i in shown_toner) == sorted(toner_videos[3:])
    assert {i.channel for i in shown_toner} == {"interest"}
    seen = {i.content_id for i in first.items} | set(toner_videos[:3])
    assert not {i.content_id for i in second.items} & seen


def test_impressions_are_logged_with_how_they_were_chosen(platform: Platform, clock) -> None:  # type: ignore[no-untyped-def]
    # given some content
    creator, creator_id = made.creator(platform)
    items = [made.item(platform, creator).id for _ in range(5)]
    viewer = factories.consumer(platform)
    # when the viewer asks for three items
    result = feed(platform.uow(), viewer, limit=3)
    # then exactly those three are logged as impressions of this request, with their position,
    # channel and scores, and their feature rows are kept for training
    ev = BehaviourEvent
    with platform.uow(readonly=True) as uow:
        logged = uow.session.execute(
            select(
                ev.user_id,
                ev.action,
                ev.content_id,
                ev.creator_id,
                ev.category_id,
                ev.request_id,
                ev.occurred_at,
                ev.model_version,
                ev.channel,
                ev.position,
                ev.value_fen,
            ).order_by(ev.id)
        ).all()
        scores = uow.session.execute(
            select(ev.retrieval_score, ev.p_click, ev.p_buy_given_click, ev.p_refund_given_buy)
        ).all()
        features = uow.session.execute(
            select(ServedFeatures.request_id, ServedFeatures.content_id, ServedFeatures.vector)
        ).all()
    leaf = factories.leaf_category(platform)
    assert [tuple(r) for r in logged] == [
        (
            viewer.user_id,
            "impression",
            i.content_id,
            creator_id,
            leaf,
            result.request_id,
            clock.now(),
            None,  # no model version trained yet
            i.channel.value,
            position,
            i.score,
        )
        for position, i in enumerate(result.items)
    ]
    assert all(0 < v <= 1 for row in scores for v in row)
    assert sorted((r, c, len(v)) for r, c, v in features) == sorted(
        (result.request_id, i.content_id, 4 * len(FEATURES)) for i in result.items
    )
    assert len(result.items) == 3 and len(result.request_id) == 32
    assert {i.content_id for i in result.items} <= set(items)


def test_a_cold_feed_shows_trending_and_fresh_content(platform: Platform) -> None:
    # given four items liked 3, 2, 1 and 0 times, by four creators
    items = [made.item(platform, made.creator(platform, f"c{n}")[0]).id for n in range(4)]
    a, b, c, d = items
    _like_all(platform, [a, b, c])
    _like_all(platform, [a, b])
    _like_all(platform, [a])
    # when a viewer without history asks for four
    result = feed(platform.uow(), factories.consumer(platform), limit=4)
    # then all four are shown: the most popular first (trending), the newest by freshness
    assert (result.items[0].content_id, result.items[0].channel) == (a, "trending")
    assert {(i.content_id, i.channel) for i in result.items} == {
        (a, "trending"),
        (b, "trending"),
        (c, "fresh"),  # 2nd newest beats 3rd most popular
        (d, "fresh"),
    }


def test_an_empty_catalogue_gives_an_empty_feed_and_bad_limits_change_nothing(
    platform: Platform,
) -> None:
    viewer: Actor = factories.consumer(platform)
    before = factories.snapshot(platform)
    for limit in (0, 51):
        with pytest.raises(DomainError) as err:
            feed(platform.uow(), viewer, limit=limit)
        assert err.value.code == "discovery.invalid_feed_request"
    assert factories.snapshot(platform) == before
    result = feed(platform.uow(), viewer)
    assert result.items == []
    assert factories.snapshot(platform) == before


def test_a_shop_under_a_traffic_limit_keeps_a_fifth_of_its_value(platform: Platform) -> None:
    # given two items carrying equal products of two shops
    p = platform
    creator_a, _ = made.creator(p, "ca")
    creator_b, _ = made.creator(p, "cb")
    owner_a, shop_a = factories.merchant(p)
    owner_b, shop_b = factories.merchant(p)
    item_a = made.item(
        p, creator_a, product_ids=[factories.product(p, owner_a, shop_a, price_fen=5_000).id]
    ).id
    item_b = made.item(
        p, creator_b, product_ids=[factories.product(p, owner_b, shop_b, price_fen=5_000).id]
    ).id
    viewer = factories.consumer(p)

    def values() -> dict[int, float]:
        page = FeedEngine().serve(p.uow(), viewer, limit=5, log=False)
        return {i.content_id: i.score for i in page.items}

    before = values()
    assert set(before) == {item_a, item_b}
    # when an operator's decision limits shop A's traffic
    case = cases.open_case(
        p.uow(),
        SYSTEM,
        cases.OpenCase(
            shop_id=shop_a,
            kind="manual",
            reason_code="ad.false_claim",
            severity="medium",
            summary="misleading claims",
            evidence={},
            product_ids=[],
            dedupe_key="traffic-limit-test",
        ),
    )
    cases.decide_case(p.uow(), factories.operator(p), case.id, confirm=True, note="limit")
    # then the next page values A at a fifth of what it was, and B as before
    after = values()
    assert after[item_a] == pytest.approx(TRAFFIC_LIMIT_FACTOR * before[item_a])
    assert after[item_b] == before[item_b]

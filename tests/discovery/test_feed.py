"""The baseline feed: what it may show, how it follows interest, and what it logs."""

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
from xingqu.discovery.feed import Feed, feed
from xingqu.discovery.models import BehaviourEvent
from xingqu.discovery.services import RecordBehaviour
from xingqu.shared.access import Actor
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
    # given six toner videos, then thirty newer serum videos of which twenty are popular
    p = platform
    creator, _ = made.creator(p)
    toner = made.leaf(p, "toner")
    toner_videos = [made.item(p, creator, category_id=toner).id for _ in range(6)]
    clock.advance(timedelta(minutes=5))
    serum_videos = [made.item(p, creator).id for _ in range(30)]
    _like_all(p, serum_videos[:20])
    viewer = factories.consumer(p)
    # when a new viewer opens the feed: no toner yet
    first = feed(p.uow(), viewer, limit=20)
    assert {i.channel for i in first.items} == {"popular", "fresh"}
    assert not {i.content_id for i in first.items} & set(toner_videos)
    # and then watches three toner videos to the end
    clock.advance(timedelta(minutes=1))
    for video in toner_videos[:3]:
        services.record_behaviour(
            p.uow(), viewer, RecordBehaviour("watch", content_id=video, value=60)
        )
    second = feed(p.uow(), viewer, limit=20)
    # then the interest channel serves toner, and nothing from the first page comes back
    interest = [i for i in second.items if i.channel == "interest"]
    assert sorted(i.content_id for i in interest) == sorted(toner_videos)
    assert {i.category_id for i in interest} == {toner}
    assert not {i.content_id for i in second.items} & {i.content_id for i in first.items}
    assert len(second.items) == 36 - 20  # everything not shown yet


def test_impressions_are_logged_with_the_request_id(platform: Platform, clock) -> None:  # type: ignore[no-untyped-def]
    # given some content
    creator, creator_id = made.creator(platform)
    items = [made.item(platform, creator).id for _ in range(5)]
    viewer = factories.consumer(platform)
    # when the viewer asks for three items
    result = feed(platform.uow(), viewer, limit=3)
    # then exactly those three are logged as impressions of this request
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
            ).order_by(ev.id)
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
        )
        for i in result.items
    ]
    assert len(result.items) == 3 and len(result.request_id) == 32
    assert {i.content_id for i in result.items} <= set(items)


def test_popular_content_leads_a_cold_feed(platform: Platform) -> None:
    # given four items liked 3, 2, 1 and 0 times
    creator, _ = made.creator(platform)
    a, b, c, d = (made.item(platform, creator).id for _ in range(4))
    _like_all(platform, [a, b, c])
    _like_all(platform, [a, b])
    _like_all(platform, [a])
    # when a viewer without history asks for four: three popular and one fresh, interleaved
    result = feed(platform.uow(), factories.consumer(platform), limit=4)
    # then
    assert [(i.content_id, i.channel, i.score) for i in result.items] == [
        (a, "popular", 6.0),
        (b, "popular", 4.0),
        (d, "fresh", 1.0),
        (c, "popular", 2.0),
    ]


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

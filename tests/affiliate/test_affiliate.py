"""The affiliate programme: plans and their rate ranges, selections, touches, attribution of
orders to the creator's content (last touch within 15 days), and commission records."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tests.affiliate.scenario import Promoted, promoted
from tests.content import factories as content_factories
from tests.factories import snapshot
from tests.trade.scenario import events_named, key
from xingqu.affiliate import queries, services
from xingqu.affiliate.errors import AffiliateError
from xingqu.affiliate.models import Commission
from xingqu.bootstrap import Platform
from xingqu.shared.access import Actor
from xingqu.shared.clock import ManualClock
from xingqu.shared.errors import DomainError, SharedError
from xingqu.shared.paging import PageRequest
from xingqu.trade import services as trade

SECOND = timedelta(seconds=1)


def _order(p: Platform, deal: Promoted, buyer: Actor, content_id: int | None = None) -> int:
    cmd = trade.PlaceOrder([trade.OrderLineSpec(deal.item.sku_id, 1, content_id)], key())
    return trade.place_order(p.uow(), buyer, cmd).id


def _commissions(p: Platform) -> list[tuple[int, int, int, int, str]]:
    with p.uow(readonly=True) as uow:
        rows = uow.session.scalars(select(Commission).order_by(Commission.id))
        return [(c.order_id, c.creator_id, c.content_id, c.rate_bp, c.status) for c in rows]


@pytest.mark.parametrize(
    ("kind", "rate", "ok"),
    [
        ("open", 499, False),
        ("open", 500, True),
        ("open", 5_000, True),
        ("open", 5_001, False),
        ("targeted", 8_000, True),
        ("targeted", 8_001, False),
    ],
)
def test_open_plans_offer_5_to_50_percent_and_targeted_plans_up_to_80(
    platform: Platform, kind: str, rate: int, ok: bool
) -> None:
    p = platform
    deal = promoted(p)
    _, other_creator = content_factories.creator(p)
    cmd = services.PublishPlan(
        deal.item.product_id, rate, kind, other_creator if kind == "targeted" else None
    )
    if ok:
        assert services.publish_plan(p.uow(), deal.item.merchant, cmd).rate_bp == rate
        return
    before = snapshot(p)
    with pytest.raises(DomainError) as caught:
        services.publish_plan(p.uow(), deal.item.merchant, cmd)
    assert caught.value.code == AffiliateError.RATE_OUT_OF_RANGE
    assert snapshot(p) == before


def test_a_new_open_plan_replaces_the_old_one_and_placed_orders_keep_their_rate(
    platform: Platform,
) -> None:
    p = platform
    deal = promoted(p, rate_bp=2_000)
    buyer = factories.consumer(p)
    first = _order(p, deal, buyer, deal.content_id)
    newer = services.publish_plan(
        p.uow(), deal.item.merchant, services.PublishPlan(deal.item.product_id, 3_000)
    )
    second = _order(p, deal, buyer, deal.content_id)
    assert [(c[0], c[3]) for c in _commissions(p)] == [(first, 2_000), (second, 3_000)]
    shop_plans = queries.plans_of_shops(p.uow(readonly=True), deal.item.merchant, PageRequest())
    assert [(plan.id, plan.status) for plan in shop_plans.items] == [
        (newer.id, "active"),
        (deal.plan_id, "ended"),
    ]


def test_a_targeted_plan_wins_over_the_open_plan_for_its_creator_only(platform: Platform) -> None:
    p = platform
    deal = promoted(p, rate_bp=1_000)
    services.publish_plan(
        p.uow(),
        deal.item.merchant,
        services.PublishPlan(deal.item.product_id, 6_000, "targeted", deal.creator_id),
    )
    other, other_id = content_factories.creator(p)
    services.select_product(p.uow(), other, deal.item.product_id)
    other_video = content_factories.item(p, other, product_ids=[deal.item.product_id])
    buyer = factories.consumer(p)
    _order(p, deal, buyer, deal.content_id)
    _order(p, deal, buyer, other_video.id)
    assert [(c[1], c[3]) for c in _commissions(p)] == [(deal.creator_id, 6_000), (other_id, 1_000)]
    mine = queries.plans_for_creator(p.uow(readonly=True), deal.creator, PageRequest())
    theirs = queries.plans_for_creator(p.uow(readonly=True), other, PageRequest())
    assert [plan.rate_bp for plan in mine.items] == [6_000, 1_000]
    assert [plan.rate_bp for plan in theirs.items] == [1_000]


def test_a_touch_earns_the_order_up_to_15_days_later_and_not_a_second_more(
    any_platform: Platform, clock: ManualClock
) -> None:
    p = any_platform
    deal = promoted(p)
    inside, outside = factories.consumer(p), factories.consumer(p)
    touch = services.record_touch(p.uow(), inside, deal.content_id, deal.item.product_id)
    services.record_touch(p.uow(), outside, deal.content_id, deal.item.product_id)
    assert touch is not None
    clock.set(touch.touched_at + timedelta(days=15) - SECOND)
    inside_order = _order(p, deal, inside)
    clock.set(touch.touched_at + timedelta(days=15) + SECOND)
    _order(p, deal, outside)
    assert [(c[0], c[2]) for c in _commissions(p)] == [(inside_order, deal.content_id)]


def test_the_last_touch_wins(platform: Platform, clock: ManualClock) -> None:
    p = platform
    deal = promoted(p)
    other, other_id = content_factories.creator(p)
    services.select_product(p.uow(), other, deal.item.product_id)
    later = content_factories.item(p, other, product_ids=[deal.item.product_id])
    buyer = factories.consumer(p)
    services.record_touch(p.uow(), buyer, deal.content_id, deal.item.product_id)
    clock.advance(timedelta(days=1))
    trade.add_to_cart(p.uow(), buyer, deal.item.sku_id, 1, content_id=later.id)  # a touch too
    clock.advance(timedelta(days=1))
    trade.checkout(p.uow(), buyer, key())
    assert [(c[1], c[2]) for c in _commissions(p)] == [(other_id, later.id)]
    assert events_named(p, "affiliate.order_attributed")[0]["creator_id"] == other_id


def test_no_commission_without_a_selection_a_mount_or_a_plan(platform: Platform) -> None:
    p = platform
    deal = promoted(p)
    buyer = factories.consumer(p)
    unmounted = content_factories.item(p, deal.creator)  # no product on it
    services.deselect_product(p.uow(), deal.creator, deal.item.product_id)
    _order(p, deal, buyer, deal.content_id)  # the creator dropped the product
    services.select_product(p.uow(), deal.creator, deal.item.product_id)
    _order(p, deal, buyer, unmounted.id)  # the content does not carry the product
    services.end_plan(p.uow(), deal.item.merchant, deal.plan_id)
    _order(p, deal, buyer, deal.content_id)  # no plan any more
    assert _commissions(p) == []
    assert services.record_touch(p.uow(), buyer, unmounted.id, deal.item.product_id) is None


def test_selecting_needs_a_plan_and_never_the_creators_own_shop(platform: Platform) -> None:
    p = platform
    deal = promoted(p)
    # a merchant who is also a creator
    owner = factories.user(p, "merchant", "creator")
    from xingqu.catalog import services as catalog
    from xingqu.content import services as content

    shop = catalog.register_merchant(p.uow(), owner, catalog.RegisterMerchant("Own", "Own shop"))
    own = factories.product(p, owner, shop.id)
    content.register_creator(p.uow(), owner, content.RegisterCreator("Owner"))
    services.publish_plan(p.uow(), owner, services.PublishPlan(own.id, 1_000))
    creator, _ = content_factories.creator(p)
    bare = factories.product(p, deal.item.merchant, deal.item.shop_id)
    before = snapshot(p)
    with pytest.raises(DomainError) as self_dealing:
        services.select_product(p.uow(), owner, own.id)
    with pytest.raises(DomainError) as no_plan:
        services.select_product(p.uow(), creator, bare.id)
    assert self_dealing.value.code == AffiliateError.OWN_PRODUCT
    assert no_plan.value.code == AffiliateError.NO_PLAN
    assert snapshot(p) == before


def test_only_the_shops_merchant_publishes_and_only_operators_rate(platform: Platform) -> None:
    p = platform
    deal = promoted(p)
    rival = factories.merchant(p)[0]
    before = snapshot(p)
    with pytest.raises(DomainError) as publishing:
        services.publish_plan(p.uow(), rival, services.PublishPlan(deal.item.product_id, 1_000))
    with pytest.raises(DomainError) as rating:
        services.set_rating(p.uow(), deal.item.merchant, deal.creator_id, "A")
    with pytest.raises(DomainError) as bad_rating:
        services.set_rating(p.uow(), factories.operator(p), deal.creator_id, "E")
    assert publishing.value.code == rating.value.code == SharedError.FORBIDDEN
    assert bad_rating.value.code == AffiliateError.INVALID_RATING
    snapshot_after = snapshot(p)
    assert snapshot_after["affiliate_plans"] == before["affiliate_plans"]
    assert snapshot_after["creator_ratings"] == []


def test_commissions_are_listed_for_their_creator_and_the_shops_merchant(
    platform: Platform,
) -> None:
    p = platform
    deal = promoted(p)
    buyer = factories.consumer(p)
    order_id = _order(p, deal, buyer, deal.content_id)
    page = PageRequest()
    mine = queries.commissions(p.uow(readonly=True), deal.creator, page)
    shop = queries.commissions(p.uow(readonly=True), deal.item.merchant, page, as_merchant=True)
    other, _ = content_factories.creator(p)
    assert [c.order_id for c in mine.items] == [order_id]
    assert [c.order_id for c in shop.items] == [order_id]
    assert queries.commissions(p.uow(readonly=True), other, page).total == 0
    with pytest.raises(DomainError) as caught:
        queries.commissions(p.uow(readonly=True), deal.creator, page, status="paid")
    assert caught.value.code == AffiliateError.INVALID_FILTER

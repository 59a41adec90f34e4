"""Orders from placement to completion: stock, state, events, and who may do what."""

from __future__ import annotations

import pytest

from tests import factories
from tests.factories import snapshot
from tests.trade import scenario
from tests.trade.scenario import (
    Listing,
    events_named,
    fake_payments,
    listing,
    order_status,
    stock_of,
)
from xingqu.bootstrap import Platform
from xingqu.catalog import services as catalog
from xingqu.catalog.errors import CatalogError
from xingqu.shared.access import Actor
from xingqu.shared.clock import ManualClock
from xingqu.shared.errors import DomainError, ErrorKind, SharedError
from xingqu.shared.paging import PageRequest
from xingqu.trade import queries, services
from xingqu.trade.errors import TradeError
from xingqu.trade.models import Order
from xingqu.trade.rules import OrderStatus


def _place(
    p: Platform,
    buyer: Actor,
    *lines: tuple[int, int],
    key: str = "k1",
    content_id: int | None = None,
) -> Order:
    cmd = services.PlaceOrder(
        lines=[services.OrderLineSpec(sku, qty, content_id) for sku, qty in lines],
        idempotency_key=key,
        address="1 Road",
    )
    return services.place_order(p.uow(), buyer, cmd)


def test_placing_an_order_reserves_stock_snapshots_the_lines_and_emits_order_placed(
    any_platform: Platform, clock: ManualClock
) -> None:
    # given a product at ¥99.00 with 10 units
    p = any_platform
    item = listing(p, price_fen=9_900, stock=10)
    buyer = factories.consumer(p)
    # when the buyer orders 3 units after watching content 77
    order = _place(p, buyer, (item.sku_id, 3), content_id=77)
    # then
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert (order.buyer_id, order.shop_id, order.total_fen, order.currency) == (
        buyer.user_id,
        item.shop_id,
        29_700,
        "CNY",
    )
    assert order.placed_at == clock.now()
    assert order.address == "1 Road"
    assert [
        (
            ln.sku_id,
            ln.product_id,
            ln.title,
            ln.sku_name,
            ln.quantity,
            ln.unit_price_fen,
            ln.content_id,
        )
        for ln in order.lines
    ] == [(item.sku_id, item.product_id, "补水精华", "30ml", 3, 9_900, 77)]
    assert stock_of(p, item) == 7
    assert events_named(p, "trade.order_placed") == [
        {
            "order_id": order.id,
            "buyer_id": buyer.user_id,
            "shop_id": item.shop_id,
            "total_fen": 29_700,
            "currency": "CNY",
            "lines": [
                {
                    "product_id": item.product_id,
                    "sku_id": item.sku_id,
                    "quantity": 3,
                    "unit_price_fen": 9_900,
                    "content_id": 77,
                }
            ],
            "device_id": None,
        }
    ]


def test_an_order_for_a_delisted_product_is_refused_and_changes_nothing(platform: Platform) -> None:
    # given a delisted product
    item = listing(platform)
    catalog.delist_product(platform.uow(), item.merchant, item.product_id)
    buyer = factories.consumer(platform)
    before = snapshot(platform)
    # when / then
    with pytest.raises(DomainError) as caught:
        _place(platform, buyer, (item.sku_id, 1))
    assert caught.value.code == CatalogError.PRODUCT_NOT_AVAILABLE
    assert snapshot(platform) == before


def test_an_order_beyond_the_stock_is_refused_and_changes_nothing(platform: Platform) -> None:
    item = listing(platform, stock=2)
    other = listing(platform, stock=5, merchant=item.merchant)
    buyer = factories.consumer(platform)
    before = snapshot(platform)
    # when the second line cannot be served, the first is not reserved either
    with pytest.raises(DomainError) as caught:
        _place(platform, buyer, (other.sku_id, 1), (item.sku_id, 3))
    assert caught.value.code == CatalogError.OUT_OF_STOCK
    assert snapshot(platform) == before


def test_lines_of_two_shops_cannot_share_an_order(platform: Platform) -> None:
    a, b = listing(platform), listing(platform)
    buyer = factories.consumer(platform)
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        _place(platform, buyer, (a.sku_id, 1), (b.sku_id, 1))
    assert caught.value.code == TradeError.MIXED_SHOPS
    assert snapshot(platform) == before


def test_only_consumers_place_orders(platform: Platform) -> None:
    item = listing(platform)
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        _place(platform, item.merchant, (item.sku_id, 1))
    assert caught.value.code == SharedError.FORBIDDEN
    assert snapshot(platform) == before


def test_the_whole_lifecycle_emits_one_event_per_step(
    platform: Platform, clock: ManualClock
) -> None:
    # given a paid order
    p = platform
    item = listing(p)
    buyer = factories.consumer(p)
    order = scenario.paid(p, buyer, item, quantity=2)
    ops = factories.operator(p)
    # when it is shipped, delivered and confirmed
    shipped = services.ship_order(p.uow(), item.merchant, order.id, " SF Express ", "SF001")
    delivered = services.mark_delivered(p.uow(), ops, order.id)
    completed = services.confirm_receipt(p.uow(), buyer, order.id)
    # then
    assert (shipped.status, delivered.status, completed.status) == (
        "shipped",
        "delivered",
        "completed",
    )
    assert completed.shipment is not None
    assert (completed.shipment.carrier, completed.shipment.tracking_no) == ("SF Express", "SF001")
    assert (
        completed.shipment.delivered_at
        == clock.now()
        == completed.delivered_at
        == completed.completed_at
    )
    assert events_named(p, "trade.order_paid") == [
        {
            "order_id": order.id,
            "buyer_id": buyer.user_id,
            "shop_id": item.shop_id,
            "amount_fen": 19_800,
            "currency": "CNY",
            "product_ids": [item.product_id],
            "instrument": completed.payment.instrument if completed.payment else None,
        }
    ]
    assert events_named(p, "trade.order_shipped") == [
        {
            "order_id": order.id,
            "shop_id": item.shop_id,
            "carrier": "SF Express",
            "tracking_no": "SF001",
        }
    ]
    assert events_named(p, "trade.order_delivered") == [{"order_id": order.id}]
    assert events_named(p, "trade.order_completed") == [
        {"order_id": order.id, "buyer_id": buyer.user_id}
    ]


def test_cancelling_an_unpaid_order_releases_its_stock(any_platform: Platform) -> None:
    p = any_platform
    item = listing(p, stock=10)
    buyer = factories.consumer(p)
    order = scenario.placed(p, buyer, item, quantity=4)
    assert stock_of(p, item) == 6
    # when
    cancelled = services.cancel_order(p.uow(), buyer, order.id)
    # then
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "buyer")
    assert cancelled.cancelled_at is not None
    assert stock_of(p, item) == 10
    assert events_named(p, "trade.order_cancelled") == [
        {"order_id": order.id, "buyer_id": buyer.user_id, "reason": "buyer"}
    ]


def test_an_operator_cancelling_a_paid_order_refunds_it_in_full(platform: Platform) -> None:
    p = platform
    item = listing(p, stock=5)
    buyer = factories.consumer(p)
    order = scenario.paid(p, buyer, item, quantity=1)
    # when
    cancelled = services.cancel_order(
        p.uow(), factories.operator(p), order.id, "fraud check", payments=p.payments
    )
    # then
    assert cancelled.status == "cancelled"
    assert cancelled.payment is not None
    assert (cancelled.payment.refunded_fen, cancelled.payment.status) == (9_900, "refunded")
    assert stock_of(p, item) == 5
    assert [r.amount.amount for r in fake_payments(p).refunds.values()] == [9_900]
    assert [e["amount_fen"] for e in events_named(p, "trade.refund_recorded")] == [9_900]


def test_a_buyer_cannot_cancel_a_paid_order(platform: Platform) -> None:
    item = listing(platform)
    buyer = factories.consumer(platform)
    order = scenario.paid(platform, buyer, item)
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        services.cancel_order(platform.uow(), buyer, order.id)
    assert caught.value.code == TradeError.CANCEL_NOT_ALLOWED
    assert snapshot(platform) == before


def test_shipping_an_unpaid_order_is_an_invalid_transition(platform: Platform) -> None:
    item = listing(platform)
    order = scenario.placed(platform, factories.consumer(platform), item)
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        services.ship_order(platform.uow(), item.merchant, order.id, "SF", "SF1")
    assert caught.value.code == TradeError.INVALID_TRANSITION
    assert caught.value.kind == ErrorKind.CONFLICT
    assert caught.value.details == {"current": "pending_payment", "target": "shipped"}
    assert snapshot(platform) == before


def test_paying_a_cancelled_order_is_an_invalid_transition(platform: Platform) -> None:
    item = listing(platform)
    buyer = factories.consumer(platform)
    order = scenario.placed(platform, buyer, item)
    services.cancel_order(platform.uow(), buyer, order.id)
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        services.pay_order(platform.uow(), buyer, order.id, "pay-1", payments=platform.payments)
    assert caught.value.code == TradeError.INVALID_TRANSITION
    assert caught.value.details == {"current": "cancelled", "target": "paid"}
    assert snapshot(platform) == before
    assert fake_payments(platform).charges == {}


@pytest.fixture
def someone_elses_order(platform: Platform) -> tuple[Listing, Actor, int]:
    item = listing(platform)
    buyer = factories.consumer(platform)
    return item, buyer, scenario.placed(platform, buyer, item).id


def test_another_buyer_can_neither_read_nor_cancel_my_order(
    platform: Platform, someone_elses_order: tuple[Listing, Actor, int]
) -> None:
    _, _, order_id = someone_elses_order
    stranger = factories.consumer(platform)
    before = snapshot(platform)
    for attempt in (
        lambda: queries.get_order(platform.uow(readonly=True), stranger, order_id),
        lambda: services.cancel_order(platform.uow(), stranger, order_id),
        lambda: services.pay_order(
            platform.uow(), stranger, order_id, "pay-x", payments=platform.payments
        ),
    ):
        with pytest.raises(DomainError) as caught:
            attempt()
        assert caught.value.code == SharedError.FORBIDDEN
    assert snapshot(platform) == before


def test_another_merchant_cannot_ship_my_order(platform: Platform) -> None:
    item = listing(platform)
    order = scenario.paid(platform, factories.consumer(platform), item)
    rival = listing(platform).merchant
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        services.ship_order(platform.uow(), rival, order.id, "SF", "SF1")
    assert caught.value.code == SharedError.FORBIDDEN
    assert snapshot(platform) == before


def test_only_operators_mark_deliveries_and_only_the_buyer_confirms(platform: Platform) -> None:
    item = listing(platform)
    buyer = factories.consumer(platform)
    order = scenario.shipped(platform, buyer, item)
    before = snapshot(platform)
    for actor in (buyer, item.merchant):
        with pytest.raises(DomainError) as caught:
            services.mark_delivered(platform.uow(), actor, order.id)
        assert caught.value.code == SharedError.FORBIDDEN
    assert snapshot(platform) == before
    services.mark_delivered(platform.uow(), factories.operator(platform), order.id)
    stranger = factories.consumer(platform)
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        services.confirm_receipt(platform.uow(), stranger, order.id)
    assert caught.value.code == SharedError.FORBIDDEN
    assert snapshot(platform) == before
    assert order_status(platform, order.id) == "delivered"


def test_a_missing_order_is_not_found(platform: Platform) -> None:
    buyer = factories.consumer(platform)
    with pytest.raises(DomainError) as caught:
        queries.get_order(platform.uow(readonly=True), buyer, 999)
    assert (caught.value.code, caught.value.kind) == (
        TradeError.ORDER_NOT_FOUND,
        ErrorKind.NOT_FOUND,
    )


def test_the_buyer_the_shops_merchant_and_operators_read_an_order(platform: Platform) -> None:
    item = listing(platform)
    buyer = factories.consumer(platform)
    order = scenario.placed(platform, buyer, item)
    for actor in (buyer, item.merchant, factories.operator(platform)):
        assert queries.get_order(platform.uow(readonly=True), actor, order.id).id == order.id


def test_listing_orders_as_buyer_and_as_merchant(platform: Platform) -> None:
    # given two shops, two buyers and three orders
    a, b = listing(platform), listing(platform)
    alice, bob = factories.consumer(platform), factories.consumer(platform)
    first = scenario.placed(platform, alice, a)
    second = scenario.paid(platform, alice, b)
    third = scenario.placed(platform, bob, a)
    page = PageRequest(limit=10)
    # then each sees theirs, newest first
    mine = queries.list_orders(platform.uow(readonly=True), alice, page)
    assert ([o.id for o in mine.items], mine.total) == ([second.id, first.id], 2)
    paid_only = queries.list_orders(platform.uow(readonly=True), alice, page, status="paid")
    assert [o.id for o in paid_only.items] == [second.id]
    shop_a = queries.list_orders(platform.uow(readonly=True), a.merchant, page, as_merchant=True)
    assert [o.id for o in shop_a.items] == [third.id, first.id]
    with pytest.raises(DomainError) as caught:
        queries.list_orders(platform.uow(readonly=True), alice, page, status="lost")
    assert caught.value.code == TradeError.INVALID_FILTER
    with pytest.raises(DomainError):
        queries.list_orders(platform.uow(readonly=True), alice, page, as_merchant=True)

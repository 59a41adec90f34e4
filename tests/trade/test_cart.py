"""The cart and checkout: one order per shop, the cart emptied, retries answered once."""

from __future__ import annotations

import pytest

from tests import factories
from tests.factories import snapshot
from tests.trade.scenario import events_named, listing, stock_of
from xingqu.bootstrap import Platform
from xingqu.catalog import services as catalog
from xingqu.catalog.errors import CatalogError
from xingqu.shared.errors import DomainError
from xingqu.trade import queries, services
from xingqu.trade.errors import TradeError


def test_adding_a_sku_twice_adds_to_its_line_and_keeps_the_latest_content(
    platform: Platform,
) -> None:
    # given
    item = listing(platform)
    buyer = factories.consumer(platform)
    # when
    services.add_to_cart(platform.uow(), buyer, item.sku_id, 1, content_id=5)
    services.add_to_cart(platform.uow(), buyer, item.sku_id, 2, content_id=8)
    services.add_to_cart(platform.uow(), buyer, item.sku_id, 1)
    # then
    cart = queries.get_cart(platform.uow(readonly=True), buyer)
    assert [(ln.sku_id, ln.quantity, ln.content_id) for ln in cart] == [(item.sku_id, 4, 8)]
    assert events_named(platform, "trade.cart_item_added") == [
        {
            "buyer_id": buyer.user_id,
            "sku_id": item.sku_id,
            "product_id": item.product_id,
            "quantity": q,
            "content_id": c,
        }
        for q, c in ((1, 5), (2, 8), (1, None))
    ]
    assert stock_of(platform, item) == 10  # a cart reserves nothing


def test_a_delisted_product_cannot_be_added(platform: Platform) -> None:
    item = listing(platform)
    catalog.delist_product(platform.uow(), item.merchant, item.product_id)
    buyer = factories.consumer(platform)
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        services.add_to_cart(platform.uow(), buyer, item.sku_id, 1)
    assert caught.value.code == CatalogError.PRODUCT_NOT_AVAILABLE
    assert snapshot(platform) == before


def test_removing_a_line(platform: Platform) -> None:
    item = listing(platform)
    buyer = factories.consumer(platform)
    services.add_to_cart(platform.uow(), buyer, item.sku_id, 1)
    services.remove_from_cart(platform.uow(), buyer, item.sku_id)
    assert queries.get_cart(platform.uow(readonly=True), buyer) == []
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        services.remove_from_cart(platform.uow(), buyer, item.sku_id)
    assert caught.value.code == TradeError.CART_LINE_NOT_FOUND
    assert snapshot(platform) == before


def test_checkout_makes_one_order_per_shop_and_empties_the_cart(any_platform: Platform) -> None:
    # given a cart with two SKUs of shop A and one of shop B
    p = any_platform
    a1 = listing(p, price_fen=1_000, stock=5)
    a2 = listing(p, price_fen=2_000, stock=5, merchant=a1.merchant)
    b = listing(p, price_fen=500, stock=5)
    buyer = factories.consumer(p)
    services.add_to_cart(p.uow(), buyer, a1.sku_id, 2, content_id=3)
    services.add_to_cart(p.uow(), buyer, b.sku_id, 1)
    services.add_to_cart(p.uow(), buyer, a2.sku_id, 1)
    # when
    orders = services.checkout(p.uow(), buyer, "cart-1", address="2 Lane")
    # then
    assert [(o.shop_id, o.total_fen, o.status, o.address) for o in orders] == [
        (a1.shop_id, 4_000, "pending_payment", "2 Lane"),
        (b.shop_id, 500, "pending_payment", "2 Lane"),
    ]
    assert sorted((ln.sku_id, ln.quantity, ln.content_id) for ln in orders[0].lines) == [
        (a1.sku_id, 2, 3),
        (a2.sku_id, 1, None),
    ]
    assert queries.get_cart(p.uow(readonly=True), buyer) == []
    assert (stock_of(p, a1), stock_of(p, a2), stock_of(p, b)) == (3, 4, 4)
    assert [e["order_id"] for e in events_named(p, "trade.order_placed")] == [o.id for o in orders]
    # and a retry returns the same orders without touching stock
    again = services.checkout(p.uow(), buyer, "cart-1")
    assert [o.id for o in again] == [o.id for o in orders]
    assert (stock_of(p, a1), stock_of(p, a2), stock_of(p, b)) == (3, 4, 4)


def test_checking_out_an_empty_cart_is_refused(platform: Platform) -> None:
    buyer = factories.consumer(platform)
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        services.checkout(platform.uow(), buyer, "cart-1")
    assert caught.value.code == TradeError.CART_EMPTY
    assert snapshot(platform) == before


def test_a_checkout_with_a_line_out_of_stock_changes_nothing(platform: Platform) -> None:
    # given a cart whose second SKU sold out after it was added
    plenty, scarce = listing(platform, stock=9), listing(platform, stock=1)
    buyer = factories.consumer(platform)
    services.add_to_cart(platform.uow(), buyer, plenty.sku_id, 1)
    services.add_to_cart(platform.uow(), buyer, scarce.sku_id, 1)
    services.place_order(
        platform.uow(),
        factories.consumer(platform),
        services.PlaceOrder(
            lines=[services.OrderLineSpec(scarce.sku_id, 1)], idempotency_key="first"
        ),
    )
    before = snapshot(platform)
    # when / then
    with pytest.raises(DomainError) as caught:
        services.checkout(platform.uow(), buyer, "cart-1")
    assert caught.value.code == CatalogError.OUT_OF_STOCK
    assert snapshot(platform) == before

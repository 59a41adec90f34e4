"""Trade test set-up made through the real services: a shop with a product, orders in each state.

Shared by `tests/trade` and `tests/aftersales`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from tests import factories
from xingqu.bootstrap import Platform
from xingqu.catalog import queries as catalog_queries
from xingqu.shared.access import Actor
from xingqu.store.outbox import OutboxEvent
from xingqu.trade import services as trade
from xingqu.trade.models import Order
from xingqu.trade.payments import FakePaymentProvider

_keys = itertools.count(1)


@dataclass(frozen=True)
class Listing:
    merchant: Actor
    shop_id: int
    product_id: int
    sku_id: int
    price_fen: int


def listing(
    p: Platform, *, price_fen: int = 9_900, stock: int = 10, merchant: Actor | None = None
) -> Listing:
    """A merchant's shop with one live product of one SKU."""
    if merchant is None:
        merchant, shop_id = factories.merchant(p)
    else:
        shop_id = catalog_queries.shops_of_user(p.uow(readonly=True), merchant.user_id)[0].id
    product = factories.product(p, merchant, shop_id, price_fen=price_fen, stock=stock)
    return Listing(merchant, shop_id, product.id, product.skus[0].id, price_fen)


def key() -> str:
    return f"key-{next(_keys)}"


def placed(
    p: Platform, buyer: Actor, item: Listing, quantity: int = 1, *, content_id: int | None = None
) -> Order:
    cmd = trade.PlaceOrder(
        lines=[trade.OrderLineSpec(item.sku_id, quantity, content_id)], idempotency_key=key()
    )
    return trade.place_order(p.uow(), buyer, cmd)


def fake_payments(p: Platform) -> FakePaymentProvider:
    """The platform's provider, which in tests is the fake that records every charge and refund."""
    assert isinstance(p.payments, FakePaymentProvider)
    return p.payments


def paid(p: Platform, buyer: Actor, item: Listing, quantity: int = 1) -> Order:
    order = placed(p, buyer, item, quantity)
    trade.pay_order(p.uow(), buyer, order.id, key(), payments=p.payments)
    return order


def shipped(p: Platform, buyer: Actor, item: Listing, quantity: int = 1) -> Order:
    order = paid(p, buyer, item, quantity)
    trade.ship_order(p.uow(), item.merchant, order.id, "SF Express", "SF1234567890")
    return order


def delivered(p: Platform, buyer: Actor, item: Listing, quantity: int = 1) -> Order:
    order = shipped(p, buyer, item, quantity)
    trade.mark_delivered(p.uow(), factories.operator(p), order.id)
    return order


def order_status(p: Platform, order_id: int) -> str:
    with p.uow(readonly=True) as uow:
        status = uow.session.scalar(select(Order.status).where(Order.id == order_id))
    assert status is not None
    return status


def stock_of(p: Platform, item: Listing) -> int:
    product = catalog_queries.get_product(p.uow(readonly=True), item.product_id)
    return next(s.stock for s in product.skus if s.id == item.sku_id)


def events_named(p: Platform, name: str) -> list[dict[str, Any]]:
    """Payloads of the outbox events called `name`, oldest first."""
    with p.uow(readonly=True) as uow:
        rows = uow.session.scalars(
            select(OutboxEvent).where(OutboxEvent.name == name).order_by(OutboxEvent.id)
        )
        return [dict(row.payload) for row in rows]

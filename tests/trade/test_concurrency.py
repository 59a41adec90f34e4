"""Stock and idempotency under concurrent requests, on every storage backend."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import func, select

from tests import factories
from tests.trade import scenario
from tests.trade.scenario import events_named, fake_payments, listing, stock_of
from xingqu.bootstrap import Platform
from xingqu.shared.errors import DomainError
from xingqu.trade import services
from xingqu.trade.models import CartLine, Order, Payment

T = TypeVar("T")


def _all_at_once(calls: list[Callable[[], T]]) -> list[T | DomainError]:
    """Run every call on its own thread, released together; domain errors are returned, not raised."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T | DomainError:
        start.wait()
        try:
            return call()
        except DomainError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _count(p: Platform, model: type) -> int:
    with p.uow(readonly=True) as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


def test_fifty_buyers_racing_for_ten_units_get_exactly_ten_orders(any_platform: Platform) -> None:
    # given a SKU with 10 units left and 50 buyers
    p = any_platform
    item = listing(p, stock=10)
    buyers = [factories.consumer(p) for _ in range(50)]

    def buy(buyer_id: int) -> Callable[[], Order]:
        buyer = next(b for b in buyers if b.user_id == buyer_id)
        cmd = services.PlaceOrder(
            lines=[services.OrderLineSpec(item.sku_id, 1)], idempotency_key="buy-now"
        )
        return lambda: services.place_order(p.uow(), buyer, cmd)

    # when they all order one unit at the same time, each in its own unit of work
    results = _all_at_once([buy(b.user_id) for b in buyers])
    # then exactly 10 succeed, 40 are out of stock, and the stock ends at 0
    orders = [r for r in results if isinstance(r, Order)]
    errors = [r for r in results if isinstance(r, DomainError)]
    assert len(orders) == 10
    assert Counter(str(e.code) for e in errors) == Counter({"catalog.out_of_stock": 40})
    assert len({o.buyer_id for o in orders}) == 10
    assert stock_of(p, item) == 0
    assert _count(p, Order) == 10
    assert len(events_named(p, "trade.order_placed")) == 10


def test_a_concurrent_duplicate_placement_with_one_key_yields_one_order(
    any_platform: Platform,
) -> None:
    # given one buyer whose client sends the same request eight times at once
    p = any_platform
    item = listing(p, stock=10)
    buyer = factories.consumer(p)
    cmd = services.PlaceOrder(
        lines=[services.OrderLineSpec(item.sku_id, 2)], idempotency_key="same-key"
    )
    # when
    results = _all_at_once([lambda: services.place_order(p.uow(), buyer, cmd) for _ in range(8)])
    # then every call returns the one order, and stock was reserved once
    assert all(isinstance(r, Order) for r in results), results
    assert len({r.id for r in results if isinstance(r, Order)}) == 1
    assert _count(p, Order) == 1
    assert stock_of(p, item) == 8
    assert len(events_named(p, "trade.order_placed")) == 1


def test_a_concurrent_duplicate_payment_charges_once(any_platform: Platform) -> None:
    p = any_platform
    item = listing(p)
    buyer = factories.consumer(p)
    order = scenario.placed(p, buyer, item)
    # when the same payment request arrives six times at once
    results = _all_at_once(
        [
            lambda: services.pay_order(p.uow(), buyer, order.id, "pay-once", payments=p.payments)
            for _ in range(6)
        ]
    )
    # then
    assert all(isinstance(r, Payment) for r in results), results
    assert len({r.id for r in results if isinstance(r, Payment)}) == 1
    assert len(fake_payments(p).charges) == 1
    assert _count(p, Payment) == 1
    assert len(events_named(p, "trade.order_paid")) == 1


def test_a_concurrent_duplicate_checkout_makes_the_orders_once(any_platform: Platform) -> None:
    p = any_platform
    a, b = listing(p, stock=5), listing(p, stock=5)
    buyer = factories.consumer(p)
    services.add_to_cart(p.uow(), buyer, a.sku_id, 2)
    services.add_to_cart(p.uow(), buyer, b.sku_id, 1)
    # when
    results = _all_at_once([lambda: services.checkout(p.uow(), buyer, "cart-1") for _ in range(6)])
    # then every call returns the same two orders
    assert all(isinstance(r, list) for r in results), results
    ids = {tuple(o.id for o in r) for r in results if isinstance(r, list)}
    assert len(ids) == 1
    assert len(next(iter(ids))) == 2
    assert (stock_of(p, a), stock_of(p, b)) == (3, 4)
    assert _count(p, Order) == 2
    assert _count(p, CartLine) == 0

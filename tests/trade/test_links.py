"""Device ids and payment instruments: recorded on orders and payments, carried by the events and
read back by `order_links` (the brushing detector's buyer–seller graph)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests import factories
from tests.factories import snapshot
from tests.trade.scenario import events_named, key, listing
from xingqu.bootstrap import Platform
from xingqu.shared.clock import ManualClock
from xingqu.shared.errors import DomainError
from xingqu.trade import queries, services
from xingqu.trade.errors import TradeError
from xingqu.trade.queries import OrderLink


def _place(p: Platform, buyer, sku_id: int, *, device_id: str | None, address: str = "1 Road"):  # type: ignore[no-untyped-def]
    cmd = services.PlaceOrder(
        lines=[services.OrderLineSpec(sku_id, 1)],
        idempotency_key=key(),
        address=address,
        device_id=device_id,
    )
    return services.place_order(p.uow(), buyer, cmd)


def test_the_device_goes_onto_the_order_and_into_order_placed(any_platform: Platform) -> None:
    # given
    p = any_platform
    item = listing(p)
    buyer = factories.consumer(p)
    # when the buyer's client names its device
    order = _place(p, buyer, item.sku_id, device_id="dev-A1")
    # then
    assert order.device_id == "dev-A1"
    assert [e["device_id"] for e in events_named(p, "trade.order_placed")] == ["dev-A1"]


def test_the_fake_provider_fingerprints_the_buyers_default_instrument_or_an_explicit_one(
    platform: Platform,
) -> None:
    # given two buyers with three orders
    p = platform
    item = listing(p, stock=10)
    ann, bob = factories.consumer(p), factories.consumer(p)
    a1 = _place(p, ann, item.sku_id, device_id=None)
    a2 = _place(p, ann, item.sku_id, device_id=None)
    b1 = _place(p, bob, item.sku_id, device_id=None)
    b2 = _place(p, bob, item.sku_id, device_id=None)
    # when Ann pays twice with her default instrument, Bob once with his and once with card 42
    pay = [
        services.pay_order(p.uow(), ann, a1.id, key(), payments=p.payments),
        services.pay_order(p.uow(), ann, a2.id, key(), payments=p.payments),
        services.pay_order(p.uow(), bob, b1.id, key(), payments=p.payments),
        services.pay_order(p.uow(), bob, b2.id, key(), payments=p.payments, instrument="card-42"),
    ]
    # then the same instrument has the same fingerprint and different ones differ
    fingerprints = [payment.instrument for payment in pay]
    assert all(f is not None and f.startswith("in_") for f in fingerprints)
    assert fingerprints[0] == fingerprints[1]
    assert len({fingerprints[0], fingerprints[2], fingerprints[3]}) == 3
    assert [e["instrument"] for e in events_named(p, "trade.order_paid")] == fingerprints


def test_a_malformed_device_id_or_instrument_is_refused_and_changes_nothing(
    platform: Platform,
) -> None:
    # given
    p = platform
    item = listing(p)
    buyer = factories.consumer(p)
    order = _place(p, buyer, item.sku_id, device_id=None)
    before = snapshot(p)
    # when / then
    with pytest.raises(DomainError) as bad_device:
        _place(p, buyer, item.sku_id, device_id="has space")
    with pytest.raises(DomainError) as bad_instrument:
        services.pay_order(p.uow(), buyer, order.id, key(), payments=p.payments, instrument="")
    assert bad_device.value.code == TradeError.INVALID_ORDER
    assert bad_instrument.value.code == TradeError.INVALID_PAYMENT
    assert snapshot(p) == before


def test_order_links_lists_orders_placed_in_the_window_with_address_device_and_instrument(
    any_platform: Platform, clock: ManualClock
) -> None:
    # given an order before the window, two inside it (one paid) and one after it
    p = any_platform
    item = listing(p, stock=10)
    buyer = factories.consumer(p)
    _place(p, buyer, item.sku_id, device_id="early")
    clock.advance(timedelta(hours=1))
    since = clock.now()
    paid = _place(p, buyer, item.sku_id, device_id="d1", address="9 Lane")
    payment = services.pay_order(p.uow(), buyer, paid.id, key(), payments=p.payments)
    clock.advance(timedelta(minutes=5))
    unpaid = _place(p, buyer, item.sku_id, device_id=None, address="")
    clock.advance(timedelta(hours=1))
    until = clock.now()
    _place(p, buyer, item.sku_id, device_id="late")
    # when
    with p.uow(readonly=True) as uow:
        links = queries.order_links(uow, since=since, until=until)
    # then
    assert links == [
        OrderLink(paid.id, item.shop_id, buyer.user_id, since, "9 Lane", "d1", payment.instrument),
        OrderLink(
            unpaid.id,
            item.shop_id,
            buyer.user_id,
            since + timedelta(minutes=5),
            "",
            None,
            None,
        ),
    ]


def test_a_window_that_ends_before_it_starts_is_refused(
    platform: Platform, clock: ManualClock
) -> None:
    with platform.uow(readonly=True) as uow, pytest.raises(DomainError) as err:
        queries.order_links(uow, since=clock.now(), until=clock.now())
    assert err.value.code == TradeError.INVALID_FILTER

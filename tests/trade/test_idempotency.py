"""Retries with the same idempotency key: one order, one payment, one provider charge."""

from __future__ import annotations

import pytest

from tests import factories
from tests.factories import snapshot
from tests.trade import scenario
from tests.trade.scenario import events_named, fake_payments, listing, order_status, stock_of
from xingqu.bootstrap import Platform
from xingqu.shared.errors import DomainError, ErrorKind
from xingqu.trade import services
from xingqu.trade.errors import TradeError


def test_retrying_placement_returns_the_same_order_and_reserves_nothing_more(
    any_platform: Platform,
) -> None:
    # given
    p = any_platform
    item = listing(p, stock=10)
    buyer = factories.consumer(p)
    cmd = services.PlaceOrder(
        lines=[services.OrderLineSpec(item.sku_id, 3)], idempotency_key="order-1"
    )
    first = services.place_order(p.uow(), buyer, cmd)
    # when the client retries
    again = services.place_order(p.uow(), buyer, cmd)
    # then
    assert again.id == first.id
    assert stock_of(p, item) == 7
    assert len(events_named(p, "trade.order_placed")) == 1


def test_reusing_a_key_for_a_different_order_is_refused(platform: Platform) -> None:
    item = listing(platform, stock=10)
    buyer = factories.consumer(platform)
    lines = [services.OrderLineSpec(item.sku_id, 1)]
    services.place_order(
        platform.uow(), buyer, services.PlaceOrder(lines=lines, idempotency_key="k")
    )
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        services.place_order(
            platform.uow(),
            buyer,
            services.PlaceOrder(
                lines=[services.OrderLineSpec(item.sku_id, 2)], idempotency_key="k"
            ),
        )
    assert caught.value.code == TradeError.IDEMPOTENCY_KEY_REUSED
    assert snapshot(platform) == before


def test_the_same_key_from_two_buyers_makes_two_orders(platform: Platform) -> None:
    item = listing(platform, stock=10)
    cmd = services.PlaceOrder(
        lines=[services.OrderLineSpec(item.sku_id, 1)], idempotency_key="retry"
    )
    one = services.place_order(platform.uow(), factories.consumer(platform), cmd)
    two = services.place_order(platform.uow(), factories.consumer(platform), cmd)
    assert one.id != two.id
    assert stock_of(platform, item) == 8


def test_retrying_payment_returns_the_same_payment_and_charges_once(any_platform: Platform) -> None:
    # given
    p = any_platform
    item = listing(p, price_fen=2_500)
    buyer = factories.consumer(p)
    order = scenario.placed(p, buyer, item, quantity=2)
    # when the client pays twice with one key
    first = services.pay_order(p.uow(), buyer, order.id, "pay-1", payments=p.payments)
    again = services.pay_order(p.uow(), buyer, order.id, "pay-1", payments=p.payments)
    # then
    assert again.id == first.id
    assert (first.amount_fen, first.status, first.refunded_fen) == (5_000, "captured", 0)
    charges = fake_payments(p).charges
    assert list(charges) == [f"order:{order.id}"]
    assert charges[f"order:{order.id}"].amount.amount == 5_000
    assert first.provider_reference == charges[f"order:{order.id}"].reference
    assert order_status(p, order.id) == "paid"
    assert len(events_named(p, "trade.order_paid")) == 1


def test_paying_a_paid_order_with_a_new_key_is_refused_and_charges_nothing_more(
    platform: Platform,
) -> None:
    item = listing(platform)
    buyer = factories.consumer(platform)
    order = scenario.placed(platform, buyer, item)
    services.pay_order(platform.uow(), buyer, order.id, "pay-1", payments=platform.payments)
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        services.pay_order(platform.uow(), buyer, order.id, "pay-2", payments=platform.payments)
    assert caught.value.code == TradeError.INVALID_TRANSITION
    assert snapshot(platform) == before
    assert len(fake_payments(platform).charges) == 1


def test_a_payment_key_cannot_pay_a_second_order(platform: Platform) -> None:
    item = listing(platform)
    buyer = factories.consumer(platform)
    first, second = scenario.placed(platform, buyer, item), scenario.placed(platform, buyer, item)
    services.pay_order(platform.uow(), buyer, first.id, "pay-1", payments=platform.payments)
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        services.pay_order(platform.uow(), buyer, second.id, "pay-1", payments=platform.payments)
    assert caught.value.code == TradeError.IDEMPOTENCY_KEY_REUSED
    assert snapshot(platform) == before


def test_a_provider_failure_leaves_the_order_unpaid_and_nothing_written(platform: Platform) -> None:
    # given the provider will decline the next charge
    item = listing(platform)
    buyer = factories.consumer(platform)
    order = scenario.placed(platform, buyer, item)
    fake_payments(platform).fail_next = "card declined"
    before = snapshot(platform)
    # when
    with pytest.raises(DomainError) as caught:
        services.pay_order(platform.uow(), buyer, order.id, "pay-1", payments=platform.payments)
    # then
    assert (caught.value.code, caught.value.kind) == (
        TradeError.PAYMENT_FAILED,
        ErrorKind.UNAVAILABLE,
    )
    assert snapshot(platform) == before
    assert fake_payments(platform).charges == {}
    # and a retry with the same key goes through
    payment = services.pay_order(
        platform.uow(), buyer, order.id, "pay-1", payments=platform.payments
    )
    assert payment.amount_fen == 9_900
    assert order_status(platform, order.id) == "paid"


def test_a_malformed_key_is_refused_before_anything_happens(platform: Platform) -> None:
    item = listing(platform)
    buyer = factories.consumer(platform)
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        services.place_order(
            platform.uow(),
            buyer,
            services.PlaceOrder(
                lines=[services.OrderLineSpec(item.sku_id, 1)], idempotency_key="a b"
            ),
        )
    assert caught.value.code == TradeError.INVALID_IDEMPOTENCY_KEY
    assert snapshot(platform) == before

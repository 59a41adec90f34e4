"""Trade's timers at their boundaries (one second inside, one second outside), run the way
`xingqu worker` runs them (`Platform.run_timers`), and idempotent: a second run changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests import factories
from tests.factories import snapshot
from tests.ledger.books import assert_books_ok, owed
from tests.trade import scenario
from tests.trade.scenario import events_named, key, listing, order_status, stock_of
from xingqu.bootstrap import Platform
from xingqu.ledger.rules import Account
from xingqu.shared.access import Actor, Role
from xingqu.shared.clock import ManualClock
from xingqu.shared.errors import DomainError
from xingqu.trade import queries, services
from xingqu.trade.errors import TradeError
from xingqu.trade.models import Order
from xingqu.trade.promises import SetProductTerms, set_product_terms

SECOND = timedelta(seconds=1)


def _fresh(p: Platform, order_id: int) -> Order:
    with p.uow(readonly=True) as uow:
        order = uow.session.get(Order, order_id)
        assert order is not None
        return order


def _coupons(p: Platform, order_id: int) -> list[tuple[str, int]]:
    with p.uow(readonly=True) as uow:
        order = uow.session.get(Order, order_id)
        assert order is not None
    buyer = Actor(order.buyer_id, frozenset({Role.CONSUMER}))
    return sorted((c.kind, c.amount_fen) for c in queries.my_coupons(p.uow(readonly=True), buyer))


def test_an_unpaid_order_is_paid_up_to_its_deadline_and_not_a_second_later(
    platform: Platform, clock: ManualClock
) -> None:
    p = platform
    item = listing(p)
    buyer = factories.consumer(p)
    in_time = scenario.placed(p, buyer, item)
    late = scenario.placed(p, buyer, item)
    clock.advance(timedelta(minutes=30) - SECOND)
    services.pay_order(p.uow(), buyer, in_time.id, key(), payments=p.payments)
    clock.advance(2 * SECOND)
    before = snapshot(p)
    with pytest.raises(DomainError) as caught:
        services.pay_order(p.uow(), buyer, late.id, key(), payments=p.payments)
    assert caught.value.code == TradeError.PAYMENT_EXPIRED
    assert snapshot(p) == before
    assert scenario.fake_payments(p).charges.keys() == {f"order:{in_time.id}"}


def test_the_timer_cancels_an_unpaid_order_one_second_after_its_deadline_and_frees_the_stock(
    any_platform: Platform, clock: ManualClock
) -> None:
    p = any_platform
    item = listing(p, stock=10)
    buyer = factories.consumer(p)
    order = scenario.placed(p, buyer, item, quantity=3)
    clock.advance(timedelta(minutes=30) - SECOND)
    assert p.run_timers()["trade.expire_unpaid"] == 0
    assert (order_status(p, order.id), stock_of(p, item)) == ("pending_payment", 7)
    clock.advance(2 * SECOND)
    assert p.run_timers()["trade.expire_unpaid"] == 1
    assert (order_status(p, order.id), stock_of(p, item)) == ("cancelled", 10)
    assert _fresh(p, order.id).cancel_reason == "payment_timeout"
    before = snapshot(p)
    assert sum(p.run_timers().values()) == 0
    assert snapshot(p) == before


def test_a_paid_order_unshipped_one_second_after_ship_by_earns_a_late_coupon_once(
    any_platform: Platform, clock: ManualClock
) -> None:
    # given a ¥300.00 order that must ship within 48 hours of payment
    p = any_platform
    item = listing(p, price_fen=30_000)
    buyer = factories.consumer(p)
    order = scenario.paid(p, buyer, item)
    ship_by = _fresh(p, order.id).ship_by
    assert ship_by == clock.now() + timedelta(hours=48)
    # when the timer runs one second before and one second after the deadline, then again
    clock.set(ship_by - SECOND)
    assert p.run_timers()["trade.compensate_late_shipments"] == 0
    clock.set(ship_by + SECOND)
    assert p.run_timers()["trade.compensate_late_shipments"] == 1
    assert p.run_timers()["trade.compensate_late_shipments"] == 0
    # and the merchant ships late after all
    services.ship_order(p.uow(), item.merchant, order.id, "SF", "1")
    # then one 1 % coupon (¥3.00), funded by the merchant
    assert _coupons(p, order.id) == [("late_shipment", 300)]
    assert owed(p, Account.COMPENSATION, buyer.user_id) == 300
    assert owed(p, Account.MERCHANT_PAYABLES, item.shop_id) == -300
    assert events_named(p, "trade.compensation_issued")[0]["kind"] == "late_shipment"
    assert_books_ok(p)


def test_shipping_one_second_late_earns_the_coupon_at_once_and_in_time_earns_none(
    platform: Platform, clock: ManualClock
) -> None:
    p = platform
    item = listing(p, price_fen=10_000)
    buyer = factories.consumer(p)
    on_time, late = scenario.paid(p, buyer, item), scenario.paid(p, buyer, item)
    ship_by = _fresh(p, on_time.id).ship_by
    assert ship_by is not None
    clock.set(ship_by)
    services.ship_order(p.uow(), item.merchant, on_time.id, "SF", "1")
    clock.set(ship_by + SECOND)
    services.ship_order(p.uow(), item.merchant, late.id, "SF", "2")
    assert _coupons(p, on_time.id) == [("late_shipment", 200)]  # the same buyer: late's coupon
    assert [e["order_id"] for e in events_named(p, "trade.compensation_issued")] == [late.id]


def test_a_same_day_promise_binds_the_order_to_midnight(
    platform: Platform, clock: ManualClock
) -> None:
    p = platform
    item = listing(p)
    set_product_terms(
        p.uow(), item.merchant, SetProductTerms(item.product_id, ship_promise="same_day")
    )
    clock.set(clock.now().replace(hour=2))  # 10:00 local
    order = scenario.paid(p, factories.consumer(p), item)
    assert _fresh(p, order.id).ship_by == clock.now().replace(hour=16)  # 24:00 local


def test_a_shipment_never_scanned_is_fake_after_48_hours(
    any_platform: Platform, clock: ManualClock
) -> None:
    p = any_platform
    item = listing(p, price_fen=10_000)
    buyer = factories.consumer(p)
    ghost = scenario.shipped(p, buyer, item)
    real = scenario.shipped(p, buyer, item)
    ops = factories.operator(p)
    services.record_tracking(p.uow(), ops, real.id, "picked_up", location="Hangzhou")
    deadline = clock.now() + timedelta(hours=48)
    clock.set(deadline - SECOND)
    assert p.run_timers()["trade.compensate_fake_shipping"] == 0
    clock.set(deadline + SECOND)
    assert p.run_timers()["trade.compensate_fake_shipping"] == 1
    assert p.run_timers()["trade.compensate_fake_shipping"] == 0
    assert _coupons(p, ghost.id) == [("fake_shipping", 3_000)]  # 30 % of ¥100
    assert_books_ok(p)


def test_a_delivered_order_is_confirmed_ten_days_after_delivery(
    any_platform: Platform, clock: ManualClock
) -> None:
    p = any_platform
    item = listing(p)
    order = scenario.delivered(p, factories.consumer(p), item)
    confirm_at = clock.now() + timedelta(days=10)
    clock.set(confirm_at - SECOND)
    assert p.run_timers()["trade.auto_confirm"] == 0
    clock.set(confirm_at + SECOND)
    assert p.run_timers()["trade.auto_confirm"] == 1
    fresh = _fresh(p, order.id)
    assert (fresh.status, fresh.completed_by) == ("completed", "timer")
    assert p.run_timers()["trade.auto_confirm"] == 0


def test_a_paid_order_cancelled_for_lack_of_stock_is_refunded_and_compensated(
    any_platform: Platform,
) -> None:
    p = any_platform
    item = listing(p, price_fen=10_000, stock=5)
    buyer = factories.consumer(p)
    order = scenario.paid(p, buyer, item, quantity=2)
    cancelled = services.cancel_out_of_stock(p.uow(), item.merchant, order.id, payments=p.payments)
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "out_of_stock")
    assert stock_of(p, item) == 5
    assert _coupons(p, order.id) == [("out_of_stock", 1_000)]  # 5 % of ¥200
    assert owed(p, Account.REFUNDS) == 20_000
    assert_books_ok(p)
    # and a shipped order is not cancelled that way
    shipped = scenario.shipped(p, buyer, item)
    before = snapshot(p)
    with pytest.raises(DomainError) as caught:
        services.cancel_out_of_stock(p.uow(), item.merchant, shipped.id, payments=p.payments)
    assert caught.value.code == TradeError.INVALID_TRANSITION
    assert snapshot(p) == before


def test_carrier_scans_are_recorded_once_and_a_delivered_scan_delivers(
    platform: Platform, clock: ManualClock
) -> None:
    p = platform
    item = listing(p)
    buyer = factories.consumer(p)
    order = scenario.shipped(p, buyer, item)
    ops = factories.operator(p)
    first = services.record_tracking(p.uow(), ops, order.id, "in_transit", location="Shanghai")
    again = services.record_tracking(p.uow(), ops, order.id, "in_transit", location="Shanghai")
    clock.advance(timedelta(hours=5))
    services.record_tracking(p.uow(), ops, order.id, "delivered")
    assert first.id == again.id
    assert order_status(p, order.id) == "delivered"
    kinds = [e.kind for e in queries.tracking(p.uow(readonly=True), buyer, order.id)]
    assert kinds == ["in_transit", "delivered"]
    before = snapshot(p)
    for bad in (
        lambda: services.record_tracking(p.uow(), ops, order.id, "teleported"),
        lambda: services.record_tracking(
            p.uow(), ops, order.id, "exception", occurred_at=clock.now() + SECOND
        ),
        lambda: services.record_tracking(p.uow(), item.merchant, order.id, "in_transit"),
    ):
        with pytest.raises(DomainError):
            bad()
    assert snapshot(p) == before

"""Refund requests: asked by the buyer, approved (executed) or rejected by the shop."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from tests import factories
from tests.factories import snapshot
from tests.trade import scenario
from tests.trade.scenario import Listing, events_named, fake_payments, listing, order_status
from xingqu.aftersales import queries, services
from xingqu.aftersales.errors import AftersalesError
from xingqu.aftersales.models import RefundRequest
from xingqu.bootstrap import Platform
from xingqu.shared.access import Actor
from xingqu.shared.errors import DomainError, ErrorKind, SharedError
from xingqu.shared.money import Money
from xingqu.shared.paging import PageRequest
from xingqu.trade import services as trade
from xingqu.trade.errors import TradeError
from xingqu.trade.models import Payment


def _paid(p: Platform, price_fen: int = 10_000) -> tuple[Listing, Actor, int]:
    item = listing(p, price_fen=price_fen)
    buyer = factories.consumer(p)
    return item, buyer, scenario.paid(p, buyer, item).id


def _refunded_fen(p: Platform, order_id: int) -> int:
    with p.uow(readonly=True) as uow:
        value = uow.session.scalar(select(Payment.refunded_fen).where(Payment.order_id == order_id))
    assert value is not None
    return value


def _ask(p: Platform, buyer: Actor, order_id: int, amount_fen: int, key: str) -> RefundRequest:
    return services.request_refund(p.uow(), buyer, order_id, amount_fen, "arrived damaged", key)


def test_a_full_refund_moves_the_order_to_refunded(any_platform: Platform) -> None:
    # given a paid order of ¥100.00
    p = any_platform
    item, buyer, order_id = _paid(p)
    # when the buyer asks for everything and the merchant approves
    asked = _ask(p, buyer, order_id, 10_000, "r1")
    done = services.approve_refund(p.uow(), item.merchant, asked.id, payments=p.payments)
    # then
    assert (asked.status, done.status) == ("requested", "executed")
    assert done.provider_reference == fake_payments(p).refunds[f"refund:{asked.id}"].reference
    assert order_status(p, order_id) == "refunded"
    assert _refunded_fen(p, order_id) == 10_000
    assert events_named(p, "aftersales.refund_requested") == [
        {
            "refund_id": asked.id,
            "order_id": order_id,
            "buyer_id": buyer.user_id,
            "amount_fen": 10_000,
        }
    ]
    assert events_named(p, "aftersales.refund_executed") == [
        {
            "refund_id": asked.id,
            "order_id": order_id,
            "buyer_id": buyer.user_id,
            "amount_fen": 10_000,
            "product_ids": [item.product_id],
        }
    ]
    assert events_named(p, "trade.order_refunded") == [
        {"order_id": order_id, "buyer_id": buyer.user_id, "refunded_fen": 10_000}
    ]


def test_partial_refunds_sum_up_and_never_exceed_what_was_paid(any_platform: Platform) -> None:
    p = any_platform
    item, buyer, order_id = _paid(p)
    # when two partial refunds are executed
    for amount, key in ((3_000, "r1"), (5_000, "r2")):
        asked = _ask(p, buyer, order_id, amount, key)
        services.approve_refund(p.uow(), item.merchant, asked.id, payments=p.payments)
    # then they add up and the order stays paid
    assert _refunded_fen(p, order_id) == 8_000
    assert order_status(p, order_id) == "paid"
    assert events_named(p, "trade.order_refunded") == []
    # and one more fen than the rest is refused, with nothing changed
    before = snapshot(p)
    with pytest.raises(DomainError) as caught:
        _ask(p, buyer, order_id, 2_001, "r3")
    assert caught.value.code == AftersalesError.REFUND_EXCEEDS_PAID
    assert snapshot(p) == before
    # while exactly the rest completes the refund
    last = _ask(p, buyer, order_id, 2_000, "r4")
    services.approve_refund(p.uow(), item.merchant, last.id, payments=p.payments)
    assert (_refunded_fen(p, order_id), order_status(p, order_id)) == (10_000, "refunded")


def test_a_refund_larger_than_paid_is_refused_and_changes_nothing(platform: Platform) -> None:
    _, buyer, order_id = _paid(platform)
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        _ask(platform, buyer, order_id, 10_001, "r1")
    assert caught.value.code == AftersalesError.REFUND_EXCEEDS_PAID
    assert snapshot(platform) == before


def test_open_requests_count_against_what_is_left(platform: Platform) -> None:
    _, buyer, order_id = _paid(platform)
    _ask(platform, buyer, order_id, 6_000, "r1")
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        _ask(platform, buyer, order_id, 5_000, "r2")
    assert caught.value.code == AftersalesError.REFUND_EXCEEDS_PAID
    assert caught.value.details == {"available_fen": 4_000, "amount_fen": 5_000}
    assert snapshot(platform) == before


def test_racing_requests_never_promise_more_than_was_paid(any_platform: Platform) -> None:
    # given ¥100.00 paid and five concurrent requests of ¥40.00 each
    p = any_platform
    _, buyer, order_id = _paid(p)
    start = threading.Barrier(5)

    def ask(n: int) -> RefundRequest | DomainError:
        start.wait()
        try:
            return _ask(p, buyer, order_id, 4_000, f"race-{n}")
        except DomainError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(pool.map(ask, range(5)))
    # then two fit and three are refused
    assert sum(isinstance(r, RefundRequest) for r in results) == 2
    assert [r.code for r in results if isinstance(r, DomainError)] == [
        AftersalesError.REFUND_EXCEEDS_PAID
    ] * 3


def test_an_unpaid_order_cannot_be_refunded(platform: Platform) -> None:
    item = listing(platform)
    buyer = factories.consumer(platform)
    order = scenario.placed(platform, buyer, item)
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        _ask(platform, buyer, order.id, 100, "r1")
    assert caught.value.code == AftersalesError.ORDER_NOT_REFUNDABLE
    assert snapshot(platform) == before


def test_shipped_delivered_and_completed_orders_can_be_refunded(platform: Platform) -> None:
    item = listing(platform, stock=10)
    buyer = factories.consumer(platform)
    completed = scenario.delivered(platform, buyer, item)
    trade.confirm_receipt(platform.uow(), buyer, completed.id)
    for order in (
        scenario.shipped(platform, buyer, item),
        scenario.delivered(platform, buyer, item),
        completed,
    ):
        asked = _ask(platform, buyer, order.id, 9_900, f"r{order.id}")
        services.approve_refund(
            platform.uow(), factories.operator(platform), asked.id, payments=platform.payments
        )
        assert order_status(platform, order.id) == "refunded"


def test_retrying_a_request_returns_it_and_a_reused_key_is_refused(platform: Platform) -> None:
    _, buyer, order_id = _paid(platform)
    first = _ask(platform, buyer, order_id, 1_000, "r1")
    assert _ask(platform, buyer, order_id, 1_000, "r1").id == first.id
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        _ask(platform, buyer, order_id, 2_000, "r1")
    assert caught.value.code == AftersalesError.IDEMPOTENCY_KEY_REUSED
    assert snapshot(platform) == before


def test_approving_twice_refunds_once(platform: Platform) -> None:
    item, buyer, order_id = _paid(platform)
    asked = _ask(platform, buyer, order_id, 1_000, "r1")
    services.approve_refund(platform.uow(), item.merchant, asked.id, payments=platform.payments)
    before = snapshot(platform)
    again = services.approve_refund(
        platform.uow(), item.merchant, asked.id, payments=platform.payments
    )
    assert again.status == "executed"
    assert snapshot(platform) == before
    assert len(fake_payments(platform).refunds) == 1


def test_a_provider_failure_on_approval_leaves_the_request_open_and_nothing_written(
    platform: Platform,
) -> None:
    item, buyer, order_id = _paid(platform)
    asked = _ask(platform, buyer, order_id, 1_000, "r1")
    fake_payments(platform).fail_next = "provider down"
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        services.approve_refund(platform.uow(), item.merchant, asked.id, payments=platform.payments)
    assert caught.value.code == TradeError.PAYMENT_FAILED
    assert snapshot(platform) == before
    assert (
        services.approve_refund(
            platform.uow(), item.merchant, asked.id, payments=platform.payments
        ).status
        == "executed"
    )


def test_rejecting_frees_the_amount_and_cannot_be_approved_later(platform: Platform) -> None:
    item, buyer, order_id = _paid(platform)
    asked = _ask(platform, buyer, order_id, 10_000, "r1")
    rejected = services.reject_refund(platform.uow(), item.merchant, asked.id, " used item ")
    assert (rejected.status, rejected.merchant_note) == ("rejected", "used item")
    assert events_named(platform, "aftersales.refund_rejected") == [
        {"refund_id": asked.id, "order_id": order_id}
    ]
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        services.approve_refund(platform.uow(), item.merchant, asked.id, payments=platform.payments)
    assert caught.value.code == AftersalesError.INVALID_TRANSITION
    assert snapshot(platform) == before
    assert _ask(platform, buyer, order_id, 10_000, "r2").status == "requested"


def test_only_the_shops_merchant_or_an_operator_decides(platform: Platform) -> None:
    _, buyer, order_id = _paid(platform)
    asked = _ask(platform, buyer, order_id, 1_000, "r1")
    rival = listing(platform).merchant
    before = snapshot(platform)
    for actor in (rival, buyer):
        with pytest.raises(DomainError) as approve:
            services.approve_refund(platform.uow(), actor, asked.id, payments=platform.payments)
        with pytest.raises(DomainError) as reject:
            services.reject_refund(platform.uow(), actor, asked.id, "no")
        assert approve.value.code == reject.value.code == SharedError.FORBIDDEN
    assert snapshot(platform) == before
    assert fake_payments(platform).refunds == {}


def test_another_buyer_cannot_ask_for_a_refund_on_my_order_or_read_my_request(
    platform: Platform,
) -> None:
    item, buyer, order_id = _paid(platform)
    asked = _ask(platform, buyer, order_id, 1_000, "r1")
    stranger = factories.consumer(platform)
    before = snapshot(platform)
    with pytest.raises(DomainError) as ask:
        _ask(platform, stranger, order_id, 1_000, "r2")
    with pytest.raises(DomainError) as read:
        queries.get_refund(platform.uow(readonly=True), stranger, asked.id)
    assert ask.value.code == read.value.code == SharedError.FORBIDDEN
    assert snapshot(platform) == before
    for actor in (buyer, item.merchant, factories.operator(platform)):
        assert queries.get_refund(platform.uow(readonly=True), actor, asked.id).id == asked.id


def test_missing_requests_and_orders_are_not_found(platform: Platform) -> None:
    buyer = factories.consumer(platform)
    with pytest.raises(DomainError) as refund:
        queries.get_refund(platform.uow(readonly=True), buyer, 404)
    with pytest.raises(DomainError) as order:
        _ask(platform, buyer, 404, 100, "r1")
    assert (refund.value.code, refund.value.kind) == (
        AftersalesError.REFUND_NOT_FOUND,
        ErrorKind.NOT_FOUND,
    )
    assert order.value.code == TradeError.ORDER_NOT_FOUND


def test_listing_requests_as_buyer_and_as_merchant(platform: Platform) -> None:
    item, buyer, order_id = _paid(platform)
    first = _ask(platform, buyer, order_id, 1_000, "r1")
    second = _ask(platform, buyer, order_id, 2_000, "r2")
    services.reject_refund(platform.uow(), item.merchant, first.id, "no")
    page = PageRequest()
    mine = queries.list_refunds(platform.uow(readonly=True), buyer, page)
    assert ([r.id for r in mine.items], mine.total) == ([second.id, first.id], 2)
    shop = queries.list_refunds(
        platform.uow(readonly=True), item.merchant, page, as_merchant=True, status="requested"
    )
    assert [r.id for r in shop.items] == [second.id]
    assert (
        queries.list_refunds(
            platform.uow(readonly=True), listing(platform).merchant, page, as_merchant=True
        ).total
        == 0
    )


def test_record_refund_never_books_beyond_what_was_paid(platform: Platform) -> None:
    # given a paid order, booked directly through trade's participant call
    _, _, order_id = _paid(platform)
    with platform.uow() as uow:
        trade.record_refund(uow, order_id, Money(4_000), "re_manual")
        uow.commit()
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught, platform.uow() as uow:
        trade.record_refund(uow, order_id, Money(6_001), "re_manual_2")
    assert caught.value.code == TradeError.REFUND_EXCEEDS_PAID
    assert snapshot(platform) == before
    assert _refunded_fen(platform, order_id) == 4_000

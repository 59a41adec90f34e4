"""After-sales requests: asked by the buyer, decided by the shop (or the timer, or the platform on
escalation), paid through the provider and booked in trade."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests import factories
from tests.aftersales.scenario import approve, ask, refunded_fen, shipped_order
from tests.factories import snapshot
from tests.trade import scenario
from tests.trade.scenario import events_named, fake_payments, listing, order_status, stock_of
from xingqu.aftersales import queries, services
from xingqu.aftersales.errors import AftersalesError
from xingqu.aftersales.models import AftersalesRequest
from xingqu.bootstrap import Platform
from xingqu.shared.errors import DomainError, ErrorKind, SharedError
from xingqu.shared.money import Money
from xingqu.shared.paging import PageRequest
from xingqu.trade import services as trade
from xingqu.trade.errors import TradeError


def test_a_full_refund_approved_by_the_merchant_moves_the_order_to_refunded(
    any_platform: Platform,
) -> None:
    # given a shipped order of ¥100.00
    p = any_platform
    item, buyer, order_id = shipped_order(p)
    # when the buyer asks for everything and the merchant approves
    asked = ask(p, buyer, order_id, 10_000, "r1", reason="damaged_in_transit")
    done = approve(p, item.merchant, asked.id)
    # then
    assert (asked.status, done.status, done.decided_by) == ("requested", "executed", "merchant")
    assert done.provider_reference == fake_payments(p).refunds[f"refund:{asked.id}"].reference
    assert order_status(p, order_id) == "refunded"
    assert refunded_fen(p, order_id) == 10_000
    assert events_named(p, "aftersales.request_opened") == [
        {
            "request_id": asked.id,
            "order_id": order_id,
            "buyer_id": buyer.user_id,
            "shop_id": item.shop_id,
            "kind": "refund_only",
            "reason_code": "damaged_in_transit",
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
            "kind": "refund_only",
            "reason_code": "damaged_in_transit",
        }
    ]
    assert events_named(p, "trade.order_refunded") == [
        {"order_id": order_id, "buyer_id": buyer.user_id, "refunded_fen": 10_000}
    ]


def test_an_instant_refund_before_shipping_is_paid_at_once_and_gives_the_stock_back(
    any_platform: Platform,
) -> None:
    # given a paid, unshipped order of 2 units (stock 10 → 8)
    p = any_platform
    item = listing(p, price_fen=5_000, stock=10)
    buyer = factories.consumer(p)
    order = scenario.paid(p, buyer, item, quantity=2)
    # when the buyer asks for all of it back
    request = ask(p, buyer, order.id, 10_000, reason="changed_mind")
    # then it is refunded without the merchant, and the units are back on the shelf
    assert (request.status, request.decided_by) == ("executed", "instant")
    assert order_status(p, order.id) == "refunded"
    assert stock_of(p, item) == 10


def test_a_partial_instant_refund_keeps_the_stock_reserved(platform: Platform) -> None:
    item = listing(platform, price_fen=5_000, stock=10)
    buyer = factories.consumer(platform)
    order = scenario.paid(platform, buyer, item, quantity=2)
    request = ask(platform, buyer, order.id, 5_000, reason="changed_mind")
    assert request.status == "executed"
    assert (order_status(platform, order.id), stock_of(platform, item)) == ("paid", 8)


def test_partial_refunds_sum_up_and_never_exceed_what_was_paid(any_platform: Platform) -> None:
    p = any_platform
    item, buyer, order_id = shipped_order(p)
    # when two partial refunds are executed
    for amount in (3_000, 5_000):
        approve(p, item.merchant, ask(p, buyer, order_id, amount).id)
    # then they add up and the order stays shipped
    assert refunded_fen(p, order_id) == 8_000
    assert order_status(p, order_id) == "shipped"
    assert events_named(p, "trade.order_refunded") == []
    # and one more fen than the rest is refused, with nothing changed
    before = snapshot(p)
    with pytest.raises(DomainError) as caught:
        ask(p, buyer, order_id, 2_001)
    assert caught.value.code == AftersalesError.REFUND_EXCEEDS_PAID
    assert snapshot(p) == before
    # while exactly the rest completes the refund
    approve(p, item.merchant, ask(p, buyer, order_id, 2_000).id)
    assert (refunded_fen(p, order_id), order_status(p, order_id)) == (10_000, "refunded")


def test_open_requests_count_against_what_is_left(platform: Platform) -> None:
    _, buyer, order_id = shipped_order(platform)
    ask(platform, buyer, order_id, 6_000)
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        ask(platform, buyer, order_id, 5_000)
    assert caught.value.code == AftersalesError.REFUND_EXCEEDS_PAID
    assert caught.value.details == {"available_fen": 4_000, "amount_fen": 5_000}
    assert snapshot(platform) == before


def test_racing_requests_never_promise_more_than_was_paid(any_platform: Platform) -> None:
    # given ¥100.00 paid and shipped, and five concurrent requests of ¥40.00 each
    p = any_platform
    _, buyer, order_id = shipped_order(p)
    start = threading.Barrier(5)

    def race(n: int) -> AftersalesRequest | DomainError:
        start.wait()
        try:
            return ask(p, buyer, order_id, 4_000, f"race-{n}")
        except DomainError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(pool.map(race, range(5)))
    # then two fit and three are refused
    assert sum(isinstance(r, AftersalesRequest) for r in results) == 2
    assert [r.code for r in results if isinstance(r, DomainError)] == [
        AftersalesError.REFUND_EXCEEDS_PAID
    ] * 3


def test_an_unpaid_or_cancelled_order_takes_no_request(platform: Platform) -> None:
    item = listing(platform)
    buyer = factories.consumer(platform)
    unpaid = scenario.placed(platform, buyer, item)
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        ask(platform, buyer, unpaid.id, 100)
    assert (caught.value.code, caught.value.details) == (
        AftersalesError.ORDER_NOT_REFUNDABLE,
        {"status": "pending_payment"},
    )
    assert snapshot(platform) == before


def test_a_return_or_exchange_needs_goods_that_were_shipped(platform: Platform) -> None:
    item = listing(platform)
    buyer = factories.consumer(platform)
    order = scenario.paid(platform, buyer, item)
    before = snapshot(platform)
    for kind in ("return_refund", "exchange"):
        with pytest.raises(DomainError) as caught:
            ask(platform, buyer, order.id, 100, kind=kind)
        assert caught.value.code == AftersalesError.NOT_SHIPPED
    assert snapshot(platform) == before


def test_retrying_a_request_returns_it_and_a_reused_key_is_refused(platform: Platform) -> None:
    _, buyer, order_id = shipped_order(platform)
    first = ask(platform, buyer, order_id, 1_000, "same")
    assert ask(platform, buyer, order_id, 1_000, "same").id == first.id
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        ask(platform, buyer, order_id, 2_000, "same")
    assert caught.value.code == AftersalesError.IDEMPOTENCY_KEY_REUSED
    assert snapshot(platform) == before


def test_approving_twice_refunds_once(platform: Platform) -> None:
    item, buyer, order_id = shipped_order(platform)
    asked = ask(platform, buyer, order_id, 1_000)
    approve(platform, item.merchant, asked.id)
    before = snapshot(platform)
    assert approve(platform, item.merchant, asked.id).status == "executed"
    assert snapshot(platform) == before
    assert len(fake_payments(platform).refunds) == 1


def test_a_provider_failure_on_approval_leaves_the_request_open_and_nothing_written(
    platform: Platform,
) -> None:
    item, buyer, order_id = shipped_order(platform)
    asked = ask(platform, buyer, order_id, 1_000)
    fake_payments(platform).fail_next = "provider down"
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        approve(platform, item.merchant, asked.id)
    assert caught.value.code == TradeError.PAYMENT_FAILED
    assert snapshot(platform) == before
    assert approve(platform, item.merchant, asked.id).status == "executed"


def test_rejecting_frees_the_amount_and_cannot_be_approved_later(platform: Platform) -> None:
    item, buyer, order_id = shipped_order(platform)
    asked = ask(platform, buyer, order_id, 10_000)
    rejected = services.reject_request(platform.uow(), item.merchant, asked.id, " used item ")
    assert (rejected.status, rejected.merchant_note) == ("rejected", "used item")
    assert events_named(platform, "aftersales.request_rejected") == [
        {"request_id": asked.id, "order_id": order_id, "decided_by": "merchant"}
    ]
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        approve(platform, item.merchant, asked.id)
    assert caught.value.code == AftersalesError.INVALID_TRANSITION
    assert snapshot(platform) == before
    assert ask(platform, buyer, order_id, 10_000).status == "requested"


def test_the_buyer_withdraws_a_request_and_the_order_is_free_again(platform: Platform) -> None:
    _, buyer, order_id = shipped_order(platform)
    asked = ask(platform, buyer, order_id, 10_000)
    assert _open_requests(platform, order_id) == 1
    withdrawn = services.withdraw_request(platform.uow(), buyer, asked.id)
    assert (withdrawn.status, withdrawn.close_reason) == ("closed", "withdrawn")
    assert _open_requests(platform, order_id) == 0


def test_a_rejected_buyer_escalates_and_an_operator_upholds_the_request(
    any_platform: Platform,
) -> None:
    # given a rejected refund
    p = any_platform
    item, buyer, order_id = shipped_order(p)
    asked = ask(p, buyer, order_id, 4_000)
    services.reject_request(p.uow(), item.merchant, asked.id, "no fault found")
    # when the buyer escalates and the platform rules for them
    escalated = services.escalate_request(p.uow(), buyer, asked.id, "photos attached")
    ruled = services.rule_on_escalation(
        p.uow(),
        factories.operator(p),
        asked.id,
        uphold=True,
        note="the photos show the fault",
        payments=p.payments,
    )
    # then the money goes back, and the merchant's decision stays on record
    assert escalated.status == "escalated"
    assert (ruled.status, ruled.ruling, ruled.decided_by) == ("executed", "upheld", "merchant")
    assert refunded_fen(p, order_id) == 4_000
    assert events_named(p, "aftersales.escalation_ruled")[0]["ruling"] == "upheld"


def test_a_dismissed_escalation_stands_and_cannot_be_escalated_again(platform: Platform) -> None:
    item, buyer, order_id = shipped_order(platform)
    asked = ask(platform, buyer, order_id, 4_000)
    services.reject_request(platform.uow(), item.merchant, asked.id, "no fault found")
    services.escalate_request(platform.uow(), buyer, asked.id, "please")
    ruled = services.rule_on_escalation(
        platform.uow(),
        factories.operator(platform),
        asked.id,
        uphold=False,
        note="the item was used",
        payments=platform.payments,
    )
    assert (ruled.status, ruled.ruling) == ("rejected", "dismissed")
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        services.escalate_request(platform.uow(), buyer, asked.id, "again")
    assert caught.value.code == AftersalesError.ESCALATION_CLOSED
    assert snapshot(platform) == before


def test_only_operators_rule_and_only_on_escalated_requests(platform: Platform) -> None:
    item, buyer, order_id = shipped_order(platform)
    asked = ask(platform, buyer, order_id, 4_000)
    ops = factories.operator(platform)
    before = snapshot(platform)
    with pytest.raises(DomainError) as merchant:
        services.rule_on_escalation(
            platform.uow(),
            item.merchant,
            asked.id,
            uphold=True,
            note="x",
            payments=platform.payments,
        )
    with pytest.raises(DomainError) as early:
        services.rule_on_escalation(
            platform.uow(), ops, asked.id, uphold=True, note="x", payments=platform.payments
        )
    assert merchant.value.code == SharedError.FORBIDDEN
    assert early.value.code == AftersalesError.INVALID_TRANSITION
    assert snapshot(platform) == before


def test_only_the_shops_merchant_or_an_operator_decides(platform: Platform) -> None:
    _, buyer, order_id = shipped_order(platform)
    asked = ask(platform, buyer, order_id, 1_000)
    rival = listing(platform).merchant
    before = snapshot(platform)
    for actor in (rival, buyer):
        with pytest.raises(DomainError) as approving:
            approve(platform, actor, asked.id)
        with pytest.raises(DomainError) as rejecting:
            services.reject_request(platform.uow(), actor, asked.id, "no")
        assert approving.value.code == rejecting.value.code == SharedError.FORBIDDEN
    assert snapshot(platform) == before
    assert fake_payments(platform).refunds == {}
    ops = approve(platform, factories.operator(platform), asked.id)
    assert (ops.status, ops.decided_by) == ("executed", "platform")


def test_another_buyer_cannot_ask_on_my_order_or_read_my_request(platform: Platform) -> None:
    item, buyer, order_id = shipped_order(platform)
    asked = ask(platform, buyer, order_id, 1_000)
    stranger = factories.consumer(platform)
    before = snapshot(platform)
    with pytest.raises(DomainError) as asking:
        ask(platform, stranger, order_id, 1_000)
    with pytest.raises(DomainError) as reading:
        queries.get_request(platform.uow(readonly=True), stranger, asked.id)
    with pytest.raises(DomainError) as withdrawing:
        services.withdraw_request(platform.uow(), stranger, asked.id)
    assert asking.value.code == reading.value.code == withdrawing.value.code
    assert asking.value.code == SharedError.FORBIDDEN
    assert snapshot(platform) == before
    for actor in (buyer, item.merchant, factories.operator(platform)):
        assert queries.get_request(platform.uow(readonly=True), actor, asked.id).id == asked.id


def test_missing_requests_and_orders_are_not_found(platform: Platform) -> None:
    buyer = factories.consumer(platform)
    with pytest.raises(DomainError) as request:
        queries.get_request(platform.uow(readonly=True), buyer, 404)
    with pytest.raises(DomainError) as order:
        ask(platform, buyer, 404, 100)
    assert (request.value.code, request.value.kind) == (
        AftersalesError.REQUEST_NOT_FOUND,
        ErrorKind.NOT_FOUND,
    )
    assert order.value.code == TradeError.ORDER_NOT_FOUND


@pytest.mark.parametrize(
    ("kind", "reason", "amount", "code"),
    [
        ("swap", "quality", 100, AftersalesError.INVALID_REQUEST),
        ("refund_only", "bored", 100, AftersalesError.INVALID_REQUEST),
        ("refund_only", "quality", 0, AftersalesError.INVALID_REFUND),
        ("refund_only", "quality", -5, AftersalesError.INVALID_REFUND),
    ],
)
def test_a_malformed_request_is_refused_and_changes_nothing(
    platform: Platform, kind: str, reason: str, amount: int, code: AftersalesError
) -> None:
    _, buyer, order_id = shipped_order(platform)
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught:
        ask(platform, buyer, order_id, amount, kind=kind, reason=reason)
    assert caught.value.code == code
    assert snapshot(platform) == before


def test_listing_requests_as_buyer_merchant_and_operator(platform: Platform) -> None:
    item, buyer, order_id = shipped_order(platform)
    first = ask(platform, buyer, order_id, 1_000)
    second = ask(platform, buyer, order_id, 2_000)
    services.reject_request(platform.uow(), item.merchant, first.id, "no")
    page = PageRequest()
    mine = queries.list_requests(platform.uow(readonly=True), buyer, page)
    assert ([r.id for r in mine.items], mine.total) == ([second.id, first.id], 2)
    shop = queries.list_requests(
        platform.uow(readonly=True), item.merchant, page, as_merchant=True, status="requested"
    )
    assert [r.id for r in shop.items] == [second.id]
    rival = listing(platform).merchant
    assert (
        queries.list_requests(platform.uow(readonly=True), rival, page, as_merchant=True).total == 0
    )
    everyone = queries.list_requests(
        platform.uow(readonly=True), factories.operator(platform), page, as_merchant=True
    )
    assert everyone.total == 2
    with pytest.raises(DomainError) as caught:
        queries.list_requests(platform.uow(readonly=True), buyer, page, status="lost")
    assert caught.value.code == AftersalesError.INVALID_FILTER


def test_record_refund_never_books_beyond_what_was_paid(platform: Platform) -> None:
    _, _, order_id = shipped_order(platform)
    with platform.uow() as uow:
        trade.record_refund(uow, order_id, Money(4_000), "re_manual")
        uow.commit()
    before = snapshot(platform)
    with pytest.raises(DomainError) as caught, platform.uow() as uow:
        trade.record_refund(uow, order_id, Money(6_001), "re_manual_2")
    assert caught.value.code == TradeError.REFUND_EXCEEDS_PAID
    assert snapshot(platform) == before
    assert refunded_fen(platform, order_id) == 4_000


def _open_requests(p: Platform, order_id: int) -> int:
    from xingqu.trade.models import Order

    with p.uow(readonly=True) as uow:
        order = uow.session.get(Order, order_id)
        assert order is not None
        return order.open_requests

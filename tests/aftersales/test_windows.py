"""Every after-sales guarantee at the boundary of its window, with the injected clock: one second
inside is accepted, one second outside is refused (and changes nothing) or acted on by the timer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests import factories
from tests.aftersales.scenario import ask, refunded_fen, request_status
from tests.factories import snapshot
from tests.ledger.books import assert_books_ok, owed
from tests.trade import scenario
from tests.trade.scenario import listing
from xingqu.aftersales import returns, services
from xingqu.aftersales.errors import AftersalesError
from xingqu.bootstrap import Platform
from xingqu.ledger.rules import Account
from xingqu.shared.clock import ManualClock
from xingqu.shared.errors import DomainError
from xingqu.trade.deadlines import aftersales_window_ends, no_reason_return_ends
from xingqu.trade.models import Order
from xingqu.trade.promises import SetProductTerms, set_product_terms

SECOND = timedelta(seconds=1)


def _signed(p: Platform, price_fen: int = 10_000, **terms: object):  # type: ignore[no-untyped-def]
    item = listing(p, price_fen=price_fen)
    if terms:
        set_product_terms(p.uow(), item.merchant, SetProductTerms(item.product_id, **terms))  # type: ignore[arg-type]
    buyer = factories.consumer(p)
    order = scenario.delivered(p, buyer, item)
    with p.uow(readonly=True) as uow:
        fresh = uow.session.get(Order, order.id)
        assert fresh is not None and fresh.delivered_at is not None
    return item, buyer, fresh


@pytest.mark.parametrize("kind", ["return_refund", "refund_only", "exchange"])
def test_the_7_day_no_reason_return_one_second_inside_and_outside(
    platform: Platform, clock: ManualClock, kind: str
) -> None:
    p = platform
    _, buyer, order = _signed(p)
    ends = no_reason_return_ends(order.delivered_at, p.settings.trade)
    clock.set(ends + SECOND)
    before = snapshot(p)
    with pytest.raises(DomainError) as late:
        ask(p, buyer, order.id, 10_000, kind=kind, reason="no_reason")
    assert late.value.code == AftersalesError.WINDOW_CLOSED
    assert snapshot(p) == before
    clock.set(ends - SECOND)
    assert ask(p, buyer, order.id, 10_000, kind=kind, reason="no_reason").status == "requested"


@pytest.mark.parametrize("policy", ["custom", "perishable", "digital"])
def test_excluded_goods_take_no_no_reason_return_even_inside_the_window(
    platform: Platform, policy: str
) -> None:
    p = platform
    _, buyer, order = _signed(p, return_policy=policy)
    before = snapshot(p)
    with pytest.raises(DomainError) as caught:
        ask(p, buyer, order.id, 10_000, kind="return_refund", reason="no_reason")
    assert caught.value.code == AftersalesError.NOT_RETURNABLE
    assert snapshot(p) == before
    assert ask(p, buyer, order.id, 10_000, kind="return_refund", reason="quality").status == (
        "requested"
    )


def test_other_reasons_fit_the_after_sales_window(platform: Platform, clock: ManualClock) -> None:
    p = platform
    _, buyer, order = _signed(p)
    ends = aftersales_window_ends(order.delivered_at, p.settings.trade)
    clock.set(ends + SECOND)
    with pytest.raises(DomainError) as late:
        ask(p, buyer, order.id, 10_000, reason="quality")
    assert late.value.code == AftersalesError.WINDOW_CLOSED
    clock.set(ends - SECOND)
    assert ask(p, buyer, order.id, 10_000, reason="quality").status == "requested"


def test_instant_refund_up_to_the_limit_and_not_one_fen_above(platform: Platform) -> None:
    p = platform
    limit = p.settings.trade.instant_refund_max_fen
    at_limit, above = listing(p, price_fen=limit), listing(p, price_fen=limit + 1)
    buyer = factories.consumer(p)
    inside = ask(p, buyer, scenario.paid(p, buyer, at_limit).id, 100, reason="changed_mind")
    outside = ask(p, buyer, scenario.paid(p, buyer, above).id, 100, reason="changed_mind")
    assert (inside.status, inside.decided_by) == ("executed", "instant")
    assert (outside.status, outside.decided_by) == ("requested", None)


def test_no_instant_refund_once_shipped_or_for_a_product_without_the_label(
    platform: Platform,
) -> None:
    p = platform
    buyer = factories.consumer(p)
    shipped = scenario.shipped(p, buyer, listing(p))
    unlabelled = listing(p)
    set_product_terms(
        p.uow(), unlabelled.merchant, SetProductTerms(unlabelled.product_id, instant_refund=False)
    )
    paid = scenario.paid(p, buyer, unlabelled)
    assert ask(p, buyer, shipped.id, 100).status == "requested"
    assert ask(p, buyer, paid.id, 100, reason="changed_mind").status == "requested"


def test_an_unanswered_request_is_approved_one_second_after_the_merchants_deadline(
    any_platform: Platform, clock: ManualClock
) -> None:
    p = any_platform
    buyer = factories.consumer(p)
    order = scenario.shipped(p, buyer, listing(p))
    refund = ask(p, buyer, order.id, 4_000)
    goods = ask(p, buyer, order.id, 2_000, kind="return_refund")
    clock.set(refund.respond_by - SECOND)
    assert p.run_timers()["aftersales.approve_unanswered"] == 0
    clock.set(refund.respond_by + SECOND)
    assert p.run_timers()["aftersales.approve_unanswered"] == 2
    assert p.run_timers()["aftersales.approve_unanswered"] == 0
    # the refund-only request is paid; the return waits for the goods
    assert (request_status(p, refund.id), request_status(p, goods.id)) == ("executed", "approved")
    assert refunded_fen(p, order.id) == 4_000
    assert_books_ok(p)


def test_a_rejection_may_be_escalated_until_one_second_after_its_window(
    platform: Platform, clock: ManualClock
) -> None:
    p = platform
    item = listing(p)
    buyer = factories.consumer(p)
    order = scenario.shipped(p, buyer, item)
    inside, outside = ask(p, buyer, order.id, 1_000), ask(p, buyer, order.id, 1_000)
    services.reject_request(p.uow(), item.merchant, inside.id, "no")
    rejected = services.reject_request(p.uow(), item.merchant, outside.id, "no")
    assert rejected.escalate_by is not None
    clock.set(rejected.escalate_by + SECOND)
    before = snapshot(p)
    with pytest.raises(DomainError) as late:
        services.escalate_request(p.uow(), buyer, outside.id, "please")
    assert late.value.code == AftersalesError.ESCALATION_CLOSED
    assert snapshot(p) == before
    clock.set(rejected.escalate_by - SECOND)
    assert services.escalate_request(p.uow(), buyer, inside.id, "please").status == "escalated"


def _approved_return(p: Platform, kind: str = "return_refund"):  # type: ignore[no-untyped-def]
    item = listing(p, price_fen=10_000)
    buyer = factories.consumer(p)
    order = scenario.delivered(p, buyer, item)
    request = ask(p, buyer, order.id, 10_000, kind=kind, reason="quality")
    approved = services.approve_request(p.uow(), item.merchant, request.id, payments=p.payments)
    return item, buyer, order, approved


def test_goods_not_sent_back_by_the_deadline_close_the_return(
    any_platform: Platform, clock: ManualClock
) -> None:
    p = any_platform
    _, buyer, _, approved = _approved_return(p)
    assert approved.return_by is not None
    clock.set(approved.return_by - SECOND)
    assert p.run_timers()["aftersales.close_unreturned"] == 0
    clock.set(approved.return_by + SECOND)
    before = snapshot(p)
    with pytest.raises(DomainError) as late:
        returns.ship_return(p.uow(), buyer, approved.id, "SF", "R1")
    assert late.value.code == AftersalesError.WINDOW_CLOSED
    assert snapshot(p) == before
    assert p.run_timers()["aftersales.close_unreturned"] == 1
    assert request_status(p, approved.id) == "closed"


def test_a_return_the_merchant_leaves_unconfirmed_is_refunded_after_the_deadline(
    any_platform: Platform, clock: ManualClock
) -> None:
    p = any_platform
    _, buyer, order, approved = _approved_return(p)
    sent = returns.ship_return(p.uow(), buyer, approved.id, "SF", "R1")
    assert sent.receive_by is not None
    clock.set(sent.receive_by - SECOND)
    assert p.run_timers()["aftersales.refund_unreceived"] == 0
    clock.set(sent.receive_by + SECOND)
    assert p.run_timers()["aftersales.refund_unreceived"] == 1
    assert p.run_timers()["aftersales.refund_unreceived"] == 0
    assert (request_status(p, approved.id), refunded_fen(p, order.id)) == ("executed", 10_000)
    assert_books_ok(p)


def test_return_shipping_insurance_is_claimed_within_90_days_of_shipping(
    any_platform: Platform, clock: ManualClock
) -> None:
    p = any_platform
    item = listing(p)
    set_product_terms(
        p.uow(), item.merchant, SetProductTerms(item.product_id, insurance_tier="small")
    )
    buyer = factories.consumer(p)
    early, late = scenario.shipped(p, buyer, item), scenario.shipped(p, buyer, item)
    shipped_at = clock.now()
    requests = []
    for order in (early, late):
        request = ask(p, buyer, order.id, 9_900, kind="return_refund", reason="quality")
        services.approve_request(p.uow(), item.merchant, request.id, payments=p.payments)
        returns.ship_return(p.uow(), buyer, request.id, "SF", f"R{order.id}")
        requests.append(request)
    ends = shipped_at + timedelta(days=90)
    clock.set(ends + SECOND)
    before = snapshot(p)
    with pytest.raises(DomainError) as outside:
        returns.claim_return_shipping(p.uow(), buyer, requests[1].id, 1_200)
    assert outside.value.code == AftersalesError.WINDOW_CLOSED
    assert snapshot(p) == before
    clock.set(ends - SECOND)
    claim = returns.claim_return_shipping(p.uow(), buyer, requests[0].id, 3_000)
    again = returns.claim_return_shipping(p.uow(), buyer, requests[0].id, 3_000)
    assert (claim.paid_fen, claim.tier, again.id) == (2_400, "small", claim.id)  # the ¥24 cap
    assert owed(p, Account.INSURANCE) == -2_400
    assert_books_ok(p)

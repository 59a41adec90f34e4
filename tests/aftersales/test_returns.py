"""Returns and exchanges: the goods go back, then the money (or a replacement) comes; insurance
claims; who may do each step."""

from __future__ import annotations

import pytest

from tests import factories
from tests.aftersales.scenario import ask, refunded_fen, request_status
from tests.factories import snapshot
from tests.ledger.books import assert_books_ok
from tests.trade import scenario
from tests.trade.scenario import events_named, listing, order_status
from xingqu.aftersales import returns, services
from xingqu.aftersales.errors import AftersalesError
from xingqu.bootstrap import Platform
from xingqu.shared.errors import DomainError, SharedError
from xingqu.trade.promises import SetProductTerms, set_product_terms


def _approved(p: Platform, kind: str, insured: bool = False):  # type: ignore[no-untyped-def]
    item = listing(p, price_fen=10_000)
    if insured:
        set_product_terms(
            p.uow(), item.merchant, SetProductTerms(item.product_id, insurance_tier="large")
        )
    buyer = factories.consumer(p)
    order = scenario.delivered(p, buyer, item)
    request = ask(p, buyer, order.id, 10_000, kind=kind, reason="not_as_described")
    services.approve_request(p.uow(), item.merchant, request.id, payments=p.payments)
    return item, buyer, order, request


def test_a_return_is_refunded_when_the_merchant_receives_the_goods(any_platform: Platform) -> None:
    p = any_platform
    item, buyer, order, request = _approved(p, "return_refund")
    assert request_status(p, request.id) == "approved"
    sent = returns.ship_return(p.uow(), buyer, request.id, "YTO", "YT1")
    retried = returns.ship_return(p.uow(), buyer, request.id, "YTO", "YT1")
    done = returns.confirm_return(p.uow(), item.merchant, request.id, payments=p.payments)
    assert (sent.status, retried.status, done.status) == ("returning", "returning", "executed")
    assert (sent.return_carrier, sent.return_tracking_no) == ("YTO", "YT1")
    assert (refunded_fen(p, order.id), order_status(p, order.id)) == (10_000, "refunded")
    assert events_named(p, "aftersales.return_shipped")[0]["tracking_no"] == "YT1"
    assert_books_ok(p)


def test_an_exchange_is_done_when_the_replacement_ships_and_moves_no_money(
    platform: Platform,
) -> None:
    p = platform
    item, buyer, order, request = _approved(p, "exchange")
    returns.ship_return(p.uow(), buyer, request.id, "YTO", "YT1")
    done = returns.ship_exchange(p.uow(), item.merchant, request.id, "SF", "SF2")
    assert (done.status, done.exchange_tracking_no) == ("exchanged", "SF2")
    assert refunded_fen(p, order.id) == 0
    assert order_status(p, order.id) == "delivered"
    with pytest.raises(DomainError) as caught:
        returns.confirm_return(p.uow(), item.merchant, request.id, payments=p.payments)
    assert caught.value.code == AftersalesError.INVALID_TRANSITION


def test_the_merchant_may_refuse_returned_goods_and_the_buyer_may_escalate(
    platform: Platform,
) -> None:
    p = platform
    item, buyer, order, request = _approved(p, "return_refund")
    returns.ship_return(p.uow(), buyer, request.id, "YTO", "YT1")
    refused = services.reject_request(p.uow(), item.merchant, request.id, "returned used")
    services.escalate_request(p.uow(), buyer, request.id, "it was new")
    ruled = services.rule_on_escalation(
        p.uow(), factories.operator(p), request.id, uphold=True, note="ok", payments=p.payments
    )
    assert refused.status == "rejected"
    assert ruled.status == "executed"  # the goods were back already: the refund is made
    assert refunded_fen(p, order.id) == 10_000


def test_only_the_buyer_sends_goods_back_and_only_the_shop_confirms_or_exchanges(
    platform: Platform,
) -> None:
    p = platform
    item, _, _, request = _approved(p, "exchange")
    rival = listing(p).merchant
    stranger = factories.consumer(p)
    before = snapshot(p)
    with pytest.raises(DomainError) as shipping:
        returns.ship_return(p.uow(), stranger, request.id, "SF", "1")
    with pytest.raises(DomainError) as exchanging:
        returns.ship_exchange(p.uow(), rival, request.id, "SF", "1")
    with pytest.raises(DomainError) as early:
        returns.ship_exchange(p.uow(), item.merchant, request.id, "SF", "1")
    assert shipping.value.code == exchanging.value.code == SharedError.FORBIDDEN
    assert early.value.code == AftersalesError.INVALID_TRANSITION
    assert snapshot(p) == before


def test_an_insurance_claim_pays_the_postage_up_to_the_cap_once_per_order(
    platform: Platform,
) -> None:
    p = platform
    _, buyer, _, request = _approved(p, "return_refund", insured=True)
    before = snapshot(p)
    with pytest.raises(DomainError) as too_early:
        returns.claim_return_shipping(p.uow(), buyer, request.id, 1_500)
    assert too_early.value.code == AftersalesError.CLAIM_NOT_ALLOWED
    assert snapshot(p) == before
    returns.ship_return(p.uow(), buyer, request.id, "YTO", "YT1")
    claim = returns.claim_return_shipping(p.uow(), buyer, request.id, 1_500)
    assert (claim.tier, claim.claimed_fen, claim.paid_fen) == ("large", 1_500, 1_500)
    assert events_named(p, "aftersales.insurance_claim_paid")[0]["paid_fen"] == 1_500
    assert_books_ok(p)


def test_an_uninsured_order_or_a_refund_only_request_claims_nothing(platform: Platform) -> None:
    p = platform
    _, buyer, _, request = _approved(p, "return_refund", insured=False)
    returns.ship_return(p.uow(), buyer, request.id, "YTO", "YT1")
    before = snapshot(p)
    with pytest.raises(DomainError) as caught:
        returns.claim_return_shipping(p.uow(), buyer, request.id, 1_500)
    assert caught.value.code == AftersalesError.NOT_INSURED
    assert snapshot(p) == before

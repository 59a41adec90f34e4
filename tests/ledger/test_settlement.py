"""Money through the ledger: payment into escrow, settlement to merchant, platform and creator,
refunds before and after settlement (clawback), payouts with the creator reserve, statements."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests import factories
from tests.affiliate.scenario import Promoted, promoted
from tests.factories import snapshot
from tests.ledger.books import assert_books_ok, audit, owed
from tests.trade.scenario import events_named, key
from xingqu.affiliate import services as affiliate
from xingqu.affiliate.models import Commission
from xingqu.bootstrap import Platform
from xingqu.ledger import queries as ledger_queries
from xingqu.ledger import services as ledger
from xingqu.ledger.errors import LedgerError
from xingqu.ledger.rules import Account
from xingqu.shared.access import Actor, Role
from xingqu.shared.clock import ManualClock
from xingqu.shared.errors import DomainError, SharedError
from xingqu.shared.money import Money
from xingqu.trade import services as trade
from xingqu.trade.deadlines import settlement_due
from xingqu.trade.models import Order
from xingqu.trade.settlement import settle_order

SECOND = timedelta(seconds=1)


def _bought(p: Platform, deal: Promoted, quantity: int = 1) -> Order:
    buyer = factories.consumer(p)
    order = trade.place_order(
        p.uow(),
        buyer,
        trade.PlaceOrder([trade.OrderLineSpec(deal.item.sku_id, quantity, deal.content_id)], key()),
    )
    trade.pay_order(p.uow(), buyer, order.id, key(), payments=p.payments)
    return order


def _received(p: Platform, deal: Promoted, clock: ManualClock, quantity: int = 1) -> Order:
    order = _bought(p, deal, quantity)
    trade.ship_order(p.uow(), deal.item.merchant, order.id, "SF", "SF1")
    clock.advance(timedelta(days=1))
    trade.mark_delivered(p.uow(), factories.operator(p), order.id)
    return trade.confirm_receipt(p.uow(), _buyer(order), order.id)


def _buyer(order: Order) -> Actor:
    return Actor(order.buyer_id, frozenset({Role.CONSUMER}))


def _due(order: Order, p: Platform) -> datetime:
    assert order.completed_at is not None
    return settlement_due(order.completed_at, order.delivered_at, p.settings.trade)


def test_a_payment_is_held_in_escrow_for_its_order(any_platform: Platform) -> None:
    p = any_platform
    deal = promoted(p)
    order = _bought(p, deal, quantity=2)
    assert owed(p, Account.ORDER_ESCROW) == 20_000
    assert owed(p, Account.BUYER_PAYMENTS) == -20_000  # money in: a debit
    assert_books_ok(p)
    assert events_named(p, "affiliate.order_attributed")[0]["order_id"] == order.id


def test_settlement_splits_the_net_between_merchant_platform_and_creator_when_due(
    any_platform: Platform, clock: ManualClock
) -> None:
    # given a ¥100.00 order from a creator's video with a 20 % plan (rating B: 10 % fee)
    p = any_platform
    deal = promoted(p, rate_bp=2_000)
    order = _received(p, deal, clock)
    due = _due(order, p)
    # when the timer runs one second before it is due, then one second after
    clock.set(due - SECOND)
    before = p.run_timers()["trade.settle_due"]
    clock.set(due + SECOND)
    after = p.run_timers()["trade.settle_due"]
    again = p.run_timers()["trade.settle_due"]
    # then it settles once, after: merchant 100 − 5 % fee − 20 commission; creator 20 − 10 %
    assert (before, after, again) == (0, 1, 0)
    assert owed(p, Account.MERCHANT_PAYABLES, deal.item.shop_id) == 7_500
    assert owed(p, Account.CREATOR_COMMISSIONS, deal.creator_id) == 1_800
    assert owed(p, Account.PLATFORM_FEES) == 700
    assert owed(p, Account.ORDER_ESCROW) == 0
    assert events_named(p, "trade.order_settled") == [
        {
            "order_id": order.id,
            "shop_id": deal.item.shop_id,
            "net_fen": 10_000,
            "merchant_fen": 7_500,
            "platform_fen": 700,
            "commission_fen": 1_800,
            "currency": "CNY",
        }
    ]
    with p.uow(readonly=True) as uow:
        commission = uow.session.query(Commission).one()
        assert (commission.status, commission.gross_fen, commission.fee_bp, commission.net_fen) == (
            "settled",
            2_000,
            1_000,
            1_800,
        )
    assert_books_ok(p)


def test_the_creators_rating_sets_the_platform_fee_on_commission(
    platform: Platform, clock: ManualClock
) -> None:
    p = platform
    deal = promoted(p, rate_bp=2_000)
    affiliate.set_rating(p.uow(), factories.operator(p), deal.creator_id, "D")  # 40 %
    order = _received(p, deal, clock)
    clock.set(_due(order, p) + SECOND)
    p.run_timers()
    assert owed(p, Account.CREATOR_COMMISSIONS, deal.creator_id) == 1_200
    assert owed(p, Account.PLATFORM_FEES) == 500 + 800


def test_a_partial_refund_before_settlement_shrinks_every_share(
    platform: Platform, clock: ManualClock
) -> None:
    p = platform
    deal = promoted(p)
    order = _received(p, deal, clock)
    with p.uow() as uow:
        trade.record_refund(uow, order.id, Money(4_000), "re_1")
        uow.commit()
    clock.set(_due(order, p) + SECOND)
    p.run_timers()
    # net 6,000: commission 1,200 gross, 120 fee; merchant fee 300
    assert owed(p, Account.CREATOR_COMMISSIONS, deal.creator_id) == 1_080
    assert owed(p, Account.MERCHANT_PAYABLES, deal.item.shop_id) == 4_500
    assert owed(p, Account.PLATFORM_FEES) == 420
    assert owed(p, Account.REFUNDS) == 4_000
    assert_books_ok(p)


def test_a_refund_after_settlement_claws_back_from_merchant_platform_and_creator(
    any_platform: Platform, clock: ManualClock
) -> None:
    # given a settled ¥100.00 order (merchant 75, platform 7, creator 18)
    p = any_platform
    deal = promoted(p)
    order = _received(p, deal, clock)
    clock.set(_due(order, p) + SECOND)
    p.run_timers()
    # when ¥40.00 is refunded, then the rest
    with p.uow() as uow:
        trade.record_refund(uow, order.id, Money(4_000), "re_1")
        uow.commit()
    partial = (
        owed(p, Account.MERCHANT_PAYABLES, deal.item.shop_id),
        owed(p, Account.PLATFORM_FEES),
        owed(p, Account.CREATOR_COMMISSIONS, deal.creator_id),
    )
    assert_books_ok(p)
    with p.uow() as uow:
        trade.record_refund(uow, order.id, Money(6_000), "re_2")
        uow.commit()
    # then every share follows the net down to zero: no commission on a refunded order
    assert partial == (4_500, 420, 1_080)
    assert owed(p, Account.MERCHANT_PAYABLES, deal.item.shop_id) == 0
    assert owed(p, Account.PLATFORM_FEES) == 0
    assert owed(p, Account.CREATOR_COMMISSIONS, deal.creator_id) == 0
    with p.uow(readonly=True) as uow:
        commission = uow.session.query(Commission).one()
        assert (commission.status, commission.net_fen) == ("clawed_back", 0)
    assert [e["amount_fen"] for e in events_named(p, "affiliate.commission_clawed_back")] == [
        720,
        1_080,
    ]
    assert_books_ok(p)


def test_a_full_refund_before_settlement_cancels_the_commission(
    platform: Platform, clock: ManualClock
) -> None:
    p = platform
    deal = promoted(p)
    order = _bought(p, deal)
    with p.uow() as uow:
        trade.record_refund(uow, order.id, Money(10_000), "re_1")
        uow.commit()
    with p.uow(readonly=True) as uow:
        assert uow.session.query(Commission).one().status == "cancelled"
    clock.advance(timedelta(days=60))
    assert p.run_timers()["trade.settle_due"] == 0
    assert owed(p, Account.CREATOR_COMMISSIONS, deal.creator_id) == 0
    assert_books_ok(p)


def test_an_open_request_holds_settlement_until_it_ends(
    platform: Platform, clock: ManualClock
) -> None:
    from tests.aftersales.scenario import ask

    p = platform
    deal = promoted(p)
    order = _received(p, deal, clock)
    request = ask(p, _buyer(order), order.id, 3_000)
    clock.set(_due(order, p) + timedelta(days=1))
    # the timer first approves the unanswered request (refund 30), then settles the rest
    changed = p.run_timers()
    assert changed["aftersales.approve_unanswered"] == 1
    assert changed["trade.settle_due"] == 0  # it ran before the approval in this tick
    assert p.run_timers()["trade.settle_due"] == 1
    assert request.status == "requested"
    assert owed(p, Account.CREATOR_COMMISSIONS, deal.creator_id) == 1_260  # 20 % of 70, −10 %
    assert_books_ok(p)


def test_settle_order_is_a_no_op_when_not_due_or_settled(
    platform: Platform, clock: ManualClock
) -> None:
    p = platform
    deal = promoted(p)
    order = _received(p, deal, clock)
    before = snapshot(p)
    assert settle_order(p.uow(), order.id) is False
    assert snapshot(p) == before


def test_a_payout_pays_the_merchant_what_is_owed_and_keeps_the_creators_reserve(
    any_platform: Platform, clock: ManualClock
) -> None:
    p = any_platform
    deal = promoted(p)
    order = _received(p, deal, clock)
    clock.set(_due(order, p) + SECOND)
    p.run_timers()
    ops = factories.operator(p)
    shop = ledger.pay_out(p.uow(), ops, Account.MERCHANT_PAYABLES, deal.item.shop_id, "po-1")
    creator = ledger.pay_out(p.uow(), ops, Account.CREATOR_COMMISSIONS, deal.creator_id, "po-2")
    again = ledger.pay_out(p.uow(), ops, Account.CREATOR_COMMISSIONS, deal.creator_id, "po-2")
    assert (shop.amount_fen, creator.amount_fen, again.id) == (7_500, 1_710, creator.id)
    assert owed(p, Account.MERCHANT_PAYABLES, deal.item.shop_id) == 0
    assert owed(p, Account.CREATOR_COMMISSIONS, deal.creator_id) == 90  # 5 % reserve
    assert_books_ok(p)
    before = snapshot(p)
    with pytest.raises(DomainError) as nothing:
        ledger.pay_out(p.uow(), ops, Account.MERCHANT_PAYABLES, deal.item.shop_id, "po-3")
    with pytest.raises(DomainError) as not_operator:
        ledger.pay_out(
            p.uow(), deal.item.merchant, Account.MERCHANT_PAYABLES, deal.item.shop_id, "po-4"
        )
    assert nothing.value.code == LedgerError.NOTHING_TO_PAY_OUT
    assert not_operator.value.code == SharedError.FORBIDDEN
    assert snapshot(p) == before


def test_statements_show_an_owners_movements_and_only_to_them(
    platform: Platform, clock: ManualClock
) -> None:
    p = platform
    deal = promoted(p)
    start = clock.now()
    order = _received(p, deal, clock)
    clock.set(_due(order, p) + SECOND)
    p.run_timers()
    end = clock.now() + SECOND
    mine = ledger_queries.statement(
        p.uow(readonly=True),
        deal.item.merchant,
        Account.MERCHANT_PAYABLES,
        deal.item.shop_id,
        start,
        end,
    )
    assert (mine.opening_fen, mine.closing_fen) == (0, 7_500)
    assert [(line.kind, line.order_id, line.amount_fen) for line in mine.lines] == [
        ("settlement", order.id, 7_500)
    ]
    creators = ledger_queries.statement(
        p.uow(readonly=True), deal.creator, Account.CREATOR_COMMISSIONS, deal.creator_id, start, end
    )
    assert creators.closing_fen == 1_800
    with pytest.raises(DomainError) as rival:
        ledger_queries.statement(
            p.uow(readonly=True),
            factories.merchant(p)[0],
            Account.MERCHANT_PAYABLES,
            deal.item.shop_id,
            start,
            end,
        )
    assert rival.value.code == SharedError.FORBIDDEN


def test_the_audit_finds_a_tampered_ledger(platform: Platform, clock: ManualClock) -> None:
    from sqlalchemy import text

    p = platform
    deal = promoted(p)
    _bought(p, deal)
    assert audit(p).ok
    with p.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE ledger_lines SET amount_fen = amount_fen + 1 WHERE account = 'order_escrow'"
            )
        )
    problems = audit(p).problems
    assert any("does not balance" in problem for problem in problems)
    assert any("escrow holds" in problem for problem in problems)

"""Settlement: an order's money leaves escrow for the merchant, the platform and the creators.

An order is settled `Terms.settle_after_days` after confirmed receipt, never inside its 7-day
no-reason window and never while an after-sales request on it is open. The split
(`ledger.rules.split_settlement`) takes the platform's fee on the net amount (paid − refunded),
each attributed line's commission on its share of the net, and the platform's service fee on
commission by the creator's rating; the merchant gets the rest.

A refund after settlement re-splits the order on the smaller net with the same rates and fees
and takes the difference back from every party in the refund's entry (`rebook_after_refund`), so
commission shrinks with the order and is zero on an order refunded in full.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from xingqu.affiliate import services as affiliate
from xingqu.ledger import services as ledger
from xingqu.ledger.rules import (
    EntryKind,
    Posting,
    Split,
    adjustment_postings,
    settlement_postings,
    split_settlement,
)
from xingqu.store.uow import UnitOfWork, UnitOfWorkFactory
from xingqu.trade import events
from xingqu.trade.deadlines import passed, settlement_due
from xingqu.trade.lifecycle import order_for_update
from xingqu.trade.models import Order
from xingqu.trade.rules import OrderStatus
from xingqu.trade.terms import DEFAULT_TERMS, Terms


def settleable(order: Order, now: datetime, terms: Terms) -> bool:
    """Completed, paid, not settled yet, no after-sales request open, and due."""
    if (
        order.status != OrderStatus.COMPLETED
        or order.settled_at is not None
        or order.payment is None
        or order.completed_at is None
        or order.open_requests > 0
    ):
        return False
    return passed(settlement_due(order.completed_at, order.delivered_at, terms), now)


def settle_order(uow: UnitOfWork, order_id: int, *, terms: Terms = DEFAULT_TERMS) -> bool:
    """Settle the order if it is due (the timer's use case). Returns whether it settled now; an
    order settled already, or not due, is left as it is."""
    with uow:
        order = order_for_update(uow, order_id)
        now = uow.clock.now()
        if not settleable(order, now, terms):
            return False
        payment = order.payment
        assert payment is not None
        net = payment.amount_fen - payment.refunded_fen
        split = split_settlement(
            payment.amount_fen,
            net,
            terms.merchant_fee_bp,
            affiliate.commission_terms(uow, order.id, terms),
        )
        ledger.post(
            uow,
            EntryKind.SETTLEMENT,
            f"settlement:order:{order.id}",
            settlement_postings(split, order.shop_id),
            currency=order.currency,
            order_id=order.id,
            memo=f"settlement of order {order.id}",
        )
        affiliate.record_settlement(uow, order.id, split.commissions)
        order.settled_at = now
        order.merchant_fee_bp = terms.merchant_fee_bp
        uow.emit(
            events.OrderSettled(
                order_id=order.id,
                shop_id=order.shop_id,
                net_fen=split.net_fen,
                merchant_fen=split.merchant_fen,
                platform_fen=split.platform_fen,
                commission_fen=sum(c.net_fen for c in split.commissions),
                currency=order.currency,
            )
        )
        uow.commit()
        return True


def settled_split(uow: UnitOfWork, order: Order, net_fen: int) -> Split:
    """The split of a settled order at `net_fen`, with the rates and fees fixed at settlement."""
    payment = order.payment
    assert payment is not None and order.merchant_fee_bp is not None
    return split_settlement(
        payment.amount_fen,
        net_fen,
        order.merchant_fee_bp,
        affiliate.settled_terms(uow, order.id),
    )


def rebook_after_refund(
    uow: UnitOfWork, order: Order, before_net_fen: int, after_net_fen: int
) -> list[Posting]:
    """The postings of a refund on a settled order (its net going from `before_net_fen` to
    `after_net_fen`), and the creators' commission records shrunk to match."""
    before = settled_split(uow, order, before_net_fen)
    after = settled_split(uow, order, after_net_fen)
    affiliate.record_clawback(uow, order.id, after.commissions)
    return adjustment_postings(before, after, order.shop_id)


def due_for_settlement(uows: UnitOfWorkFactory, terms: Terms, limit: int = 500) -> list[int]:
    """Completed orders that may be due (each is checked again under its lock)."""
    with uows(readonly=True) as uow:
        now = uow.clock.now()
        rows = uow.session.scalars(
            select(Order)
            .where(
                Order.status == OrderStatus.COMPLETED,
                Order.settled_at.is_(None),
                Order.open_requests == 0,
            )
            .order_by(Order.completed_at, Order.id)
            .limit(limit)
        )
        return [order.id for order in rows if settleable(order, now, terms)]

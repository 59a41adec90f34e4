"""Compensation coupons: a no-minimum coupon for the buyer, funded by the merchant, when the shop
ships late, cancels for lack of stock, or declares a shipment the carrier never sees (fake
shipping). One coupon per order and kind; its value is a share of the paid amount raised to a
floor and cut to a cap (`Terms.compensation`).

Ledger: the merchant's payable is debited and the buyer's compensation account credited, in the
transaction that finds the failure.
"""

from __future__ import annotations

from sqlalchemy import select

from xingqu.ledger import services as ledger
from xingqu.ledger.rules import Account, EntryKind, credit, debit
from xingqu.store.uow import UnitOfWork
from xingqu.trade import events
from xingqu.trade.models import CompensationCoupon, Order
from xingqu.trade.rules import compensation_fen
from xingqu.trade.terms import CompensationKind, Terms


def issue_compensation(
    uow: UnitOfWork, order: Order, kind: CompensationKind, terms: Terms
) -> CompensationCoupon | None:
    """Issue the order's coupon of `kind` unless it has one (participant call on a locked,
    paid order). Returns the new coupon, or None when there was one already."""
    uow.require_active()
    payment = order.payment
    if payment is None:
        return None
    existing = uow.session.scalar(
        select(CompensationCoupon.id).where(
            CompensationCoupon.order_id == order.id, CompensationCoupon.kind == kind
        )
    )
    if existing is not None:
        return None
    amount = compensation_fen(payment.amount_fen, terms.compensation[kind])
    coupon = CompensationCoupon(
        order_id=order.id,
        buyer_id=order.buyer_id,
        shop_id=order.shop_id,
        kind=kind,
        amount_fen=amount,
        currency=payment.currency,
        issued_at=uow.clock.now(),
    )
    uow.session.add(coupon)
    uow.flush()
    ledger.post(
        uow,
        EntryKind.COMPENSATION,
        f"compensation:order:{order.id}:{kind}",
        [
            debit(Account.MERCHANT_PAYABLES, amount, order.shop_id),
            credit(Account.COMPENSATION, amount, order.buyer_id),
        ],
        currency=payment.currency,
        order_id=order.id,
        memo=f"{kind} compensation on order {order.id}",
    )
    uow.emit(
        events.CompensationIssued(
            order_id=order.id,
            buyer_id=order.buyer_id,
            shop_id=order.shop_id,
            kind=kind,
            amount_fen=amount,
            currency=payment.currency,
        )
    )
    return coupon

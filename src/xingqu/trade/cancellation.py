"""Cancelling an order before it ships, whoever does it (buyer, operator, merchant out of stock,
the payment timer): the money paid goes back, the stock is released, commission is cancelled."""

from __future__ import annotations

from xingqu.affiliate import services as affiliate
from xingqu.store.uow import UnitOfWork
from xingqu.trade import events
from xingqu.trade.lifecycle import move
from xingqu.trade.models import Order
from xingqu.trade.payments import PaymentProvider
from xingqu.trade.refunds import refund_rest, release_order_stock
from xingqu.trade.rules import OrderStatus


def cancel(uow: UnitOfWork, order: Order, reason: str, payments: PaymentProvider | None) -> None:
    """Cancel a locked order the caller may cancel (participant call)."""
    uow.require_active()
    if order.status == OrderStatus.PAID:
        refund_rest(uow, order, payments)
    release_order_stock(uow, order)
    move(uow, order, OrderStatus.CANCELLED)
    order.cancel_reason = reason
    affiliate.cancel_commissions(uow, order.id)
    uow.emit(events.OrderCancelled(order_id=order.id, buyer_id=order.buyer_id, reason=reason))

"""Money going back to buyers, booked on orders and payments.

`order_for_refund` and `record_refund` are the participant calls aftersales makes inside its own
transaction (re-exported by `trade.services`); `refund_rest` is an operator's cancellation of a
paid order.
"""

from __future__ import annotations

from dataclasses import dataclass

from xingqu.shared.errors import conflict
from xingqu.shared.money import Money
from xingqu.store.uow import UnitOfWork
from xingqu.trade import events
from xingqu.trade.errors import TradeError
from xingqu.trade.lifecycle import move, order_for_update
from xingqu.trade.models import Order, Payment
from xingqu.trade.payments import PaymentProvider
from xingqu.trade.rules import REFUNDABLE_STATUSES, OrderStatus, check_refund, payment_status


@dataclass(frozen=True)
class OrderMoney:
    """What aftersales needs to know about an order's money (read inside its transaction)."""

    order_id: int
    buyer_id: int
    shop_id: int
    status: OrderStatus
    paid: Money
    refunded: Money
    charge_reference: str | None
    product_ids: list[int]

    @property
    def refundable(self) -> Money:
        return self.paid - self.refunded

    @property
    def accepts_refunds(self) -> bool:
        """Paid, and neither cancelled nor refunded in full."""
        return self.status in REFUNDABLE_STATUSES


def order_for_refund(uow: UnitOfWork, order_id: int) -> OrderMoney:
    """The order's money, read under a row lock so that concurrent refunds of one order queue."""
    uow.require_active()
    order = order_for_update(uow, order_id)
    payment = order.payment
    zero = Money.zero(order.currency)
    return OrderMoney(
        order_id=order.id,
        buyer_id=order.buyer_id,
        shop_id=order.shop_id,
        status=OrderStatus(order.status),
        paid=payment.amount if payment is not None else zero,
        refunded=payment.refunded if payment is not None else zero,
        charge_reference=payment.provider_reference if payment is not None else None,
        product_ids=order.product_ids,
    )


def record_refund(uow: UnitOfWork, order_id: int, amount: Money, refund_reference: str) -> None:
    """Book money the provider gave back; never beyond what was paid. The order becomes
    `refunded` (event `trade.order_refunded`) once everything paid has been refunded."""
    uow.require_active()
    order = order_for_update(uow, order_id)
    payment = order.payment
    if payment is None:
        raise conflict(
            TradeError.NOT_PAID, f"order {order_id} has not been paid", order_id=order_id
        )
    book_refund(uow, order, payment, amount, refund_reference)
    if payment.refunded_fen == payment.amount_fen:
        move(uow, order, OrderStatus.REFUNDED)
        uow.emit(
            events.OrderRefunded(
                order_id=order.id, buyer_id=order.buyer_id, refunded_fen=payment.refunded_fen
            )
        )


def book_refund(
    uow: UnitOfWork, order: Order, payment: Payment, amount: Money, reference: str
) -> None:
    check_refund(payment.amount, payment.refunded, amount)
    payment.refunded_fen += amount.amount
    payment.status = payment_status(payment.amount, payment.refunded)
    payment.updated_at = uow.clock.now()
    uow.emit(
        events.RefundRecorded(
            order_id=order.id,
            buyer_id=order.buyer_id,
            amount_fen=amount.amount,
            refunded_fen=payment.refunded_fen,
            currency=payment.currency,
            refund_reference=reference,
        )
    )


def refund_rest(uow: UnitOfWork, order: Order, payments: PaymentProvider | None) -> None:
    """Give back whatever of the payment is not refunded yet (an operator cancelling a paid order)."""
    payment = order.payment
    if payment is None:
        return
    rest = payment.amount - payment.refunded
    if rest.amount == 0:
        return
    if payments is None:
        raise conflict(
            TradeError.CANCEL_NOT_ALLOWED,
            "cancelling a paid order refunds it, which needs the payment provider",
            order_id=order.id,
        )
    refund = payments.refund(
        payment.provider_reference, rest, idempotency_key=f"order:{order.id}:cancel"
    )
    book_refund(uow, order, payment, rest, refund.reference)

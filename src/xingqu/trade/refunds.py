"""Money going back to buyers, booked on orders, payments and the ledger in one transaction.

`order_for_refund` and `record_refund` are the participant calls aftersales makes inside its own
transaction (re-exported by `trade.services`); `refund_rest` gives back what is left of a paid
order that is being cancelled.

Ledger: a refund before settlement takes the money out of the order's escrow (debit
`order_escrow`, credit `refunds`). After settlement the escrow is empty, so the settlement is
re-split on the smaller net and the difference is taken back from the merchant, the platform's
fees and the creators' commission (`settlement.rebook_after_refund`).

An order refunded in full before it shipped gives its stock back; its commission is cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from xingqu.affiliate import services as affiliate
from xingqu.catalog import services as catalog
from xingqu.ledger import services as ledger
from xingqu.ledger.rules import Account, EntryKind, credit, debit
from xingqu.shared.errors import conflict
from xingqu.shared.money import Money
from xingqu.store.uow import UnitOfWork
from xingqu.trade import events
from xingqu.trade.deadlines import ReturnPolicy
from xingqu.trade.errors import TradeError
from xingqu.trade.lifecycle import move, order_for_update
from xingqu.trade.models import Order, Payment
from xingqu.trade.payments import PaymentProvider
from xingqu.trade.rules import REFUNDABLE_STATUSES, OrderStatus, check_refund, payment_status
from xingqu.trade.settlement import rebook_after_refund


@dataclass(frozen=True)
class OrderMoney:
    """What aftersales needs to know about an order (read under the order's lock)."""

    order_id: int
    buyer_id: int
    shop_id: int
    status: OrderStatus
    paid: Money
    refunded: Money
    charge_reference: str | None
    product_ids: list[int]
    shipped_at: datetime | None
    delivered_at: datetime | None
    instant_refund: bool
    insurance_tier: str
    line_policies: tuple[tuple[ReturnPolicy, int], ...]

    @property
    def refundable(self) -> Money:
        return self.paid - self.refunded

    @property
    def accepts_refunds(self) -> bool:
        """Paid, and neither cancelled nor refunded in full."""
        return self.status in REFUNDABLE_STATUSES


def order_for_refund(uow: UnitOfWork, order_id: int) -> OrderMoney:
    """The order's money and guarantee facts, read under a row lock so that concurrent refunds of
    one order queue."""
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
        shipped_at=order.shipped_at,
        delivered_at=order.delivered_at,
        instant_refund=order.instant_refund,
        insurance_tier=order.insurance_tier,
        line_policies=tuple(
            (ReturnPolicy(line.return_policy), line.total_fen) for line in order.lines
        ),
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
        if order.status == OrderStatus.PAID:
            release_order_stock(uow, order)  # nothing shipped: the goods are still on the shelf
        move(uow, order, OrderStatus.REFUNDED)
        affiliate.cancel_commissions(uow, order.id)
        uow.emit(
            events.OrderRefunded(
                order_id=order.id, buyer_id=order.buyer_id, refunded_fen=payment.refunded_fen
            )
        )


def book_refund(
    uow: UnitOfWork, order: Order, payment: Payment, amount: Money, reference: str
) -> None:
    """The payment's refunded total and the ledger entry of one refund."""
    check_refund(payment.amount, payment.refunded, amount)
    payment.refunded_fen += amount.amount
    payment.status = payment_status(payment.amount, payment.refunded)
    payment.updated_at = uow.clock.now()
    if order.settled_at is None:
        postings = [
            debit(Account.ORDER_ESCROW, amount.amount),
            credit(Account.REFUNDS, amount.amount),
        ]
    else:
        after = payment.amount_fen - payment.refunded_fen
        postings = rebook_after_refund(uow, order, after + amount.amount, after)
    ledger.post(
        uow,
        EntryKind.REFUND,
        f"refund:{reference}",
        postings,
        currency=payment.currency,
        order_id=order.id,
        memo=f"refund of {amount} on order {order.id}",
    )
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
    """Give back whatever of the payment is not refunded yet (a paid order being cancelled)."""
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


def release_order_stock(uow: UnitOfWork, order: Order) -> None:
    """Give the order's units back to stock, once."""
    if order.stock_released:
        return
    for line in sorted(order.lines, key=lambda line: line.sku_id):
        catalog.release_stock(uow, line.sku_id, line.quantity)
    order.stock_released = True

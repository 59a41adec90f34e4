"""Refund use cases (one transaction each).

Access, as in trade: a missing refund request is `aftersales.refund_not_found` (404); one that
exists but is not the actor's is `shared.forbidden` (403). The buyer asks; the shop's merchant (or
an operator) approves or rejects. Approval moves the money through the payment port and books it
in trade (`trade.services.record_refund`) in the same transaction, so a provider failure leaves
the request open and nothing written, and a retried approval never refunds twice (the provider
key is `refund:<id>`).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from xingqu.aftersales import events
from xingqu.aftersales.errors import AftersalesError
from xingqu.aftersales.models import RefundRequest
from xingqu.aftersales.rules import (
    OPEN_STATUSES,
    RefundStatus,
    check_refund_transition,
    check_refundable,
    validate_amount_fen,
    validate_idempotency_key,
    validate_note,
    validate_reason,
)
from xingqu.catalog import services as catalog
from xingqu.shared.access import Actor, Role
from xingqu.shared.errors import conflict, forbidden, not_found
from xingqu.shared.money import Money
from xingqu.store.uow import UnitOfWork
from xingqu.trade import services as trade
from xingqu.trade.payments import PaymentProvider


def provider_refund_key(refund_id: int) -> str:
    return f"refund:{refund_id}"


def request_refund(
    uow: UnitOfWork, actor: Actor, order_id: int, amount_fen: int, reason: str, idempotency_key: str
) -> RefundRequest:
    """The buyer asks for `amount_fen` back on a paid order (any amount up to what is left)."""
    validate_idempotency_key(idempotency_key)
    validate_amount_fen(amount_fen)
    validate_reason(reason)
    try:
        with uow:
            order = trade.order_for_refund(uow, order_id)  # locks the order: requests queue
            _require_buyer(actor, order.buyer_id)
            existing = _by_key(uow, order.buyer_id, idempotency_key)
            if existing is not None:
                return _same_request(existing, order_id, amount_fen)
            if not order.accepts_refunds:
                raise conflict(
                    AftersalesError.ORDER_NOT_REFUNDABLE,
                    f"order {order_id} is {order.status}; only paid orders can be refunded",
                    status=str(order.status),
                )
            currency = order.paid.currency
            open_fen = uow.session.scalar(
                select(func.coalesce(func.sum(RefundRequest.amount_fen), 0)).where(
                    RefundRequest.order_id == order_id, RefundRequest.status.in_(OPEN_STATUSES)
                )
            )
            check_refundable(
                order.paid,
                order.refunded,
                Money(int(open_fen or 0), currency),
                Money(amount_fen, currency),
            )
            refund = RefundRequest(
                order_id=order_id,
                buyer_id=order.buyer_id,
                shop_id=order.shop_id,
                amount_fen=amount_fen,
                currency=currency,
                reason=reason.strip(),
                status=RefundStatus.REQUESTED,
                idempotency_key=idempotency_key,
                requested_at=uow.clock.now(),
            )
            uow.session.add(refund)
            uow.flush()  # a duplicate idempotency key fails here
            uow.emit(
                events.RefundRequested(
                    refund_id=refund.id,
                    order_id=order_id,
                    buyer_id=order.buyer_id,
                    amount_fen=amount_fen,
                )
            )
            uow.commit()
            return refund
    except IntegrityError as exc:
        race = exc  # a concurrent request with the same key won
    with uow:
        buyer_id = trade.order_for_refund(uow, order_id).buyer_id
        existing = _by_key(uow, buyer_id, idempotency_key)
        if existing is None:
            raise race
        return _same_request(existing, order_id, amount_fen)


def approve_refund(
    uow: UnitOfWork, actor: Actor, refund_id: int, *, payments: PaymentProvider
) -> RefundRequest:
    """Approve and execute: refund through the provider and book it on the order. Approving an
    executed request again returns it unchanged."""
    with uow:
        refund = _locked_refund(uow, refund_id)
        _require_shop_merchant(uow, actor, refund)
        if refund.status == RefundStatus.EXECUTED:
            return refund
        check_refund_transition(RefundStatus(refund.status), RefundStatus.APPROVED)
        order = trade.order_for_refund(uow, refund.order_id)
        if order.charge_reference is None:
            raise conflict(
                AftersalesError.ORDER_NOT_REFUNDABLE, f"order {order.order_id} has not been paid"
            )
        check_refundable(order.paid, order.refunded, Money.zero(order.paid.currency), refund.amount)
        provider = payments.refund(
            order.charge_reference, refund.amount, provider_refund_key(refund.id)
        )
        trade.record_refund(uow, refund.order_id, refund.amount, provider.reference)
        check_refund_transition(RefundStatus.APPROVED, RefundStatus.EXECUTED)
        now = uow.clock.now()
        refund.status = RefundStatus.EXECUTED
        refund.provider_reference = provider.reference
        refund.decided_at = now
        refund.executed_at = now
        uow.emit(
            events.RefundExecuted(
                refund_id=refund.id,
                order_id=refund.order_id,
                buyer_id=refund.buyer_id,
                amount_fen=refund.amount_fen,
                product_ids=order.product_ids,
            )
        )
        uow.commit()
        return refund


def reject_refund(uow: UnitOfWork, actor: Actor, refund_id: int, note: str) -> RefundRequest:
    """The shop's merchant (or an operator) turns a request down, saying why."""
    validate_note(note)
    with uow:
        refund = _locked_refund(uow, refund_id)
        _require_shop_merchant(uow, actor, refund)
        check_refund_transition(RefundStatus(refund.status), RefundStatus.REJECTED)
        refund.status = RefundStatus.REJECTED
        refund.merchant_note = note.strip()
        refund.decided_at = uow.clock.now()
        uow.emit(events.RefundRejected(refund_id=refund.id, order_id=refund.order_id))
        uow.commit()
        return refund


# --- internals --------------------------------------------------------------------------------


def _locked_refund(uow: UnitOfWork, refund_id: int) -> RefundRequest:
    refund = uow.session.scalar(
        select(RefundRequest)
        .where(RefundRequest.id == refund_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if refund is None:
        raise not_found(AftersalesError.REFUND_NOT_FOUND, "refund request", refund_id)
    return refund


def _by_key(uow: UnitOfWork, buyer_id: int, key: str) -> RefundRequest | None:
    return uow.session.scalar(
        select(RefundRequest).where(
            RefundRequest.buyer_id == buyer_id, RefundRequest.idempotency_key == key
        )
    )


def _same_request(refund: RefundRequest, order_id: int, amount_fen: int) -> RefundRequest:
    if refund.order_id != order_id or refund.amount_fen != amount_fen:
        raise conflict(
            AftersalesError.IDEMPOTENCY_KEY_REUSED,
            "this idempotency key was used for a different refund request",
            refund_id=refund.id,
        )
    return refund


def _require_buyer(actor: Actor, buyer_id: int) -> None:
    if actor.is_operator:
        return
    actor.require(Role.CONSUMER)
    if actor.user_id != buyer_id:
        raise forbidden("this order belongs to another buyer")


def _require_shop_merchant(uow: UnitOfWork, actor: Actor, refund: RefundRequest) -> None:
    catalog.require_shop_access(
        uow, actor, refund.shop_id, "this refund request belongs to another merchant's shop"
    )

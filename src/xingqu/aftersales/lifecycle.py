"""One request's life, shared by the use cases, the return flow and the timers: loading it with
its order under lock (always the order first, so concurrent changes queue in one order), moving
it, approving it, giving the money back, and telling trade how many requests an order has open.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from xingqu.aftersales import events
from xingqu.aftersales.errors import AftersalesError
from xingqu.aftersales.models import AftersalesRequest
from xingqu.aftersales.rules import (
    OPEN_STATUSES,
    Decider,
    RequestKind,
    RequestStatus,
    check_request_transition,
    decided_status,
    escalate_by,
    return_by,
)
from xingqu.catalog import services as catalog
from xingqu.shared.access import Actor, Role
from xingqu.shared.errors import forbidden, not_found
from xingqu.shared.money import Money
from xingqu.store.uow import UnitOfWork
from xingqu.trade import services as trade
from xingqu.trade.payments import PaymentProvider
from xingqu.trade.terms import Terms


def provider_refund_key(request_id: int) -> str:
    return f"refund:{request_id}"


@dataclass
class Locked:
    request: AftersalesRequest
    order: trade.OrderMoney


def locked(uow: UnitOfWork, request_id: int) -> Locked:
    """The request and its order's money, both under lock (the order's first)."""
    uow.require_active()
    order_id = uow.session.scalar(
        select(AftersalesRequest.order_id).where(AftersalesRequest.id == request_id)
    )
    if order_id is None:
        raise not_found(AftersalesError.REQUEST_NOT_FOUND, "after-sales request", request_id)
    order = trade.order_for_refund(uow, order_id)
    request = uow.session.scalar(
        select(AftersalesRequest)
        .where(AftersalesRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert request is not None
    return Locked(request, order)


def move(request: AftersalesRequest, target: RequestStatus) -> None:
    check_request_transition(RequestStatus(request.status), target)
    request.status = target


def approve(
    uow: UnitOfWork,
    held: Locked,
    decider: Decider,
    payments: PaymentProvider,
    terms: Terms,
    note: str | None = None,
) -> None:
    """Approve: a refund-only request pays at once; a return or exchange waits for the goods."""
    request = held.request
    now = uow.clock.now()
    if request.decided_at is None:  # the first decision is the merchant's answer (or not)
        request.decided_at = now
        request.decided_by = decider
    if note is not None:
        request.merchant_note = note
    uow.emit(
        events.RequestApproved(request_id=request.id, order_id=request.order_id, decided_by=decider)
    )
    target = decided_status(RequestKind(request.kind))
    if target == RequestStatus.EXECUTED:
        execute_refund(uow, held, payments)
    else:
        move(request, RequestStatus.APPROVED)
        request.return_by = return_by(now, terms)


def reject(uow: UnitOfWork, held: Locked, decider: Decider, note: str, terms: Terms) -> None:
    request = held.request
    move(request, RequestStatus.REJECTED)
    now = uow.clock.now()
    request.decided_at = request.decided_at or now
    request.decided_by = request.decided_by or decider
    request.merchant_note = note
    request.escalate_by = escalate_by(now, terms)
    uow.emit(
        events.RequestRejected(request_id=request.id, order_id=request.order_id, decided_by=decider)
    )


def execute_refund(uow: UnitOfWork, held: Locked, payments: PaymentProvider) -> None:
    """Give the request's amount back through the provider and book it in trade. When the order
    has less left than asked (another refund or a cancellation came first) the request is closed
    instead: there is nothing to give."""
    request, order = held.request, held.order
    if (
        not order.accepts_refunds
        or order.charge_reference is None
        or request.amount_fen > order.refundable.amount
    ):
        close(uow, request, "nothing_to_refund")
        return
    move(request, RequestStatus.EXECUTED)
    provider = payments.refund(
        order.charge_reference, request.amount, provider_refund_key(request.id)
    )
    trade.record_refund(uow, request.order_id, request.amount, provider.reference)
    request.provider_reference = provider.reference
    request.executed_at = uow.clock.now()
    uow.emit(
        events.RefundExecuted(
            refund_id=request.id,
            order_id=request.order_id,
            buyer_id=request.buyer_id,
            amount_fen=request.amount_fen,
            product_ids=order.product_ids,
            kind=request.kind,
            reason_code=request.reason_code,
        )
    )


def close(uow: UnitOfWork, request: AftersalesRequest, reason: str) -> None:
    move(request, RequestStatus.CLOSED)
    request.closed_at = uow.clock.now()
    request.close_reason = reason
    uow.emit(events.RequestClosed(request_id=request.id, order_id=request.order_id, reason=reason))


def sync_open(uow: UnitOfWork, order_id: int) -> None:
    """Tell trade how many requests on the order are still in progress."""
    uow.flush()
    count = uow.session.scalar(
        select(func.count())
        .select_from(AftersalesRequest)
        .where(
            AftersalesRequest.order_id == order_id,
            AftersalesRequest.status.in_(OPEN_STATUSES),
        )
    )
    trade.set_open_requests(uow, order_id, int(count or 0))


def open_amount(uow: UnitOfWork, order_id: int, currency: str) -> Money:
    value = uow.session.scalar(
        select(func.coalesce(func.sum(AftersalesRequest.amount_fen), 0)).where(
            AftersalesRequest.order_id == order_id,
            AftersalesRequest.status.in_(OPEN_STATUSES),
        )
    )
    return Money(int(value or 0), currency)


def require_buyer(actor: Actor, buyer_id: int) -> None:
    if actor.is_operator:
        return
    actor.require(Role.CONSUMER)
    if actor.user_id != buyer_id:
        raise forbidden("this order belongs to another buyer")


def require_own_buyer(actor: Actor, buyer_id: int) -> None:
    """Only the buyer themself (not an operator) acts as the buyer."""
    actor.require(Role.CONSUMER)
    if actor.user_id != buyer_id:
        raise forbidden("this is another buyer's request")


def require_shop(uow: UnitOfWork, actor: Actor, shop_id: int) -> None:
    catalog.require_shop_access(
        uow, actor, shop_id, "this request belongs to another merchant's shop"
    )


def decider_of(actor: Actor, uow: UnitOfWork, shop_id: int) -> Decider:
    return Decider.MERCHANT if catalog.owns_shop(uow, actor, shop_id) else Decider.PLATFORM

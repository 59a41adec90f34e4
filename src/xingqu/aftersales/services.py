"""After-sales request use cases (one transaction each).

The buyer opens a request on a paid order: refund only, return and refund, or exchange, with a
reason. It must fit the guarantee's window (after signing: the 7-day no-reason window for
`no_reason`, the after-sales window for any other reason) and what is left to refund. A refund-
only request on an unshipped order that qualifies for instant refund is approved and paid at
once. Otherwise the shop's merchant approves or rejects it within `merchant_response_hours`, or
the timer approves it. A rejected buyer may escalate within `escalation_hours`; an operator then
upholds (the request goes on as approved) or dismisses it. The buyer may withdraw a request until
the goods are on their way back.

Money moves through the payment port and is booked in trade (`trade.services.record_refund`, with
its ledger entry) in the same transaction as the request's change; a provider failure leaves the
request as it was, and a retried approval never refunds twice (the provider key is
`refund:<request id>`).

Access: a missing request is `aftersales.request_not_found` (404); one that is not the actor's is
`shared.forbidden` (403). Operators may act for any shop.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from xingqu.aftersales import events
from xingqu.aftersales.errors import AftersalesError
from xingqu.aftersales.lifecycle import (
    Locked,
    approve,
    close,
    decider_of,
    execute_refund,
    locked,
    move,
    open_amount,
    reject,
    require_buyer,
    require_own_buyer,
    require_shop,
    sync_open,
)
from xingqu.aftersales.models import AftersalesRequest
from xingqu.aftersales.rules import (
    MAX_DESCRIPTION,
    Decider,
    OrderFacts,
    RequestStatus,
    check_request_allowed,
    check_request_transition,
    instant_refund_applies,
    parse_kind,
    parse_reason,
    respond_by,
    validate_amount_fen,
    validate_idempotency_key,
    validate_note,
    validate_text,
)
from xingqu.shared.access import Actor, Role
from xingqu.shared.errors import conflict
from xingqu.store.uow import UnitOfWork
from xingqu.trade import services as trade
from xingqu.trade.deadlines import passed
from xingqu.trade.payments import PaymentProvider
from xingqu.trade.terms import DEFAULT_TERMS, Terms

APPROVED_ALREADY = frozenset(
    {
        RequestStatus.APPROVED,
        RequestStatus.RETURNING,
        RequestStatus.EXECUTED,
        RequestStatus.EXCHANGED,
    }
)


@dataclass(frozen=True)
class OpenRequest:
    order_id: int
    kind: str
    reason_code: str
    amount_fen: int
    idempotency_key: str
    description: str = ""


def open_request(
    uow: UnitOfWork,
    actor: Actor,
    cmd: OpenRequest,
    *,
    payments: PaymentProvider,
    terms: Terms = DEFAULT_TERMS,
) -> AftersalesRequest:
    """The buyer asks. A retry with the same key returns the first request."""
    validate_idempotency_key(cmd.idempotency_key)
    kind, reason = parse_kind(cmd.kind), parse_reason(cmd.reason_code)
    validate_amount_fen(cmd.amount_fen)
    validate_text(cmd.description, MAX_DESCRIPTION, "a description", required=False)
    try:
        with uow:
            order = trade.order_for_refund(uow, cmd.order_id)  # locks the order: requests queue
            require_own_buyer(actor, order.buyer_id)
            existing = _by_key(uow, order.buyer_id, cmd.idempotency_key)
            if existing is not None:
                return _same_request(existing, cmd)
            if not order.accepts_refunds:
                raise conflict(
                    AftersalesError.ORDER_NOT_REFUNDABLE,
                    f"order {order.order_id} is {order.status}; only paid orders take requests",
                    status=str(order.status),
                )
            facts = _facts(uow, order)
            now = uow.clock.now()
            check_request_allowed(kind, reason, cmd.amount_fen, facts, now, terms)
            request = AftersalesRequest(
                order_id=order.order_id,
                buyer_id=order.buyer_id,
                shop_id=order.shop_id,
                kind=kind,
                reason_code=reason,
                description=cmd.description.strip(),
                amount_fen=cmd.amount_fen,
                currency=order.paid.currency,
                status=RequestStatus.REQUESTED,
                idempotency_key=cmd.idempotency_key,
                requested_at=now,
                respond_by=respond_by(now, terms),
            )
            uow.session.add(request)
            uow.flush()  # a duplicate idempotency key fails here
            uow.emit(
                events.RequestOpened(
                    request_id=request.id,
                    order_id=request.order_id,
                    buyer_id=request.buyer_id,
                    shop_id=request.shop_id,
                    kind=kind,
                    reason_code=reason,
                    amount_fen=request.amount_fen,
                )
            )
            if instant_refund_applies(kind, facts, cmd.amount_fen, terms):
                approve(uow, Locked(request, order), Decider.INSTANT, payments, terms)
            sync_open(uow, request.order_id)
            uow.commit()
            return request
    except IntegrityError as exc:
        race = exc  # a concurrent request with the same key won
    with uow:
        buyer_id = trade.order_for_refund(uow, cmd.order_id).buyer_id
        existing = _by_key(uow, buyer_id, cmd.idempotency_key)
        if existing is None:
            raise race
        return _same_request(existing, cmd)


def approve_request(
    uow: UnitOfWork,
    actor: Actor,
    request_id: int,
    *,
    payments: PaymentProvider,
    terms: Terms = DEFAULT_TERMS,
) -> AftersalesRequest:
    """The shop's merchant (or an operator) says yes. Approving a request that is already past
    its decision (approved, executed) returns it unchanged."""
    with uow:
        held = locked(uow, request_id)
        request = held.request
        require_shop(uow, actor, request.shop_id)
        status = RequestStatus(request.status)
        if status in APPROVED_ALREADY:
            return request
        if status not in (RequestStatus.REQUESTED, RequestStatus.ESCALATED):
            check_request_transition(status, RequestStatus.APPROVED)  # raises: says why
        approve(uow, held, decider_of(actor, uow, request.shop_id), payments, terms)
        sync_open(uow, request.order_id)
        uow.commit()
        return request


def reject_request(
    uow: UnitOfWork, actor: Actor, request_id: int, note: str, *, terms: Terms = DEFAULT_TERMS
) -> AftersalesRequest:
    """The shop's merchant (or an operator) says no, saying why: to a new request, or to a return
    found wrong on arrival. The buyer may escalate within `escalation_hours`."""
    validate_note(note)
    with uow:
        held = locked(uow, request_id)
        require_shop(uow, actor, held.request.shop_id)
        reject(uow, held, decider_of(actor, uow, held.request.shop_id), note.strip(), terms)
        sync_open(uow, held.request.order_id)
        uow.commit()
        return held.request


def withdraw_request(uow: UnitOfWork, actor: Actor, request_id: int) -> AftersalesRequest:
    """The buyer drops a request (before the goods are on their way back)."""
    with uow:
        held = locked(uow, request_id)
        require_own_buyer(actor, held.request.buyer_id)
        close(uow, held.request, "withdrawn")
        sync_open(uow, held.request.order_id)
        uow.commit()
        return held.request


def escalate_request(
    uow: UnitOfWork, actor: Actor, request_id: int, note: str
) -> AftersalesRequest:
    """The buyer takes a rejected request to the platform, within `escalation_hours`."""
    validate_note(note)
    with uow:
        held = locked(uow, request_id)
        request = held.request
        require_own_buyer(actor, request.buyer_id)
        if request.ruling is not None:
            raise conflict(
                AftersalesError.ESCALATION_CLOSED, "the platform has ruled on this request already"
            )
        check_request_transition(RequestStatus(request.status), RequestStatus.ESCALATED)
        now = uow.clock.now()
        if request.escalate_by is not None and passed(request.escalate_by, now):
            raise conflict(
                AftersalesError.ESCALATION_CLOSED,
                f"a rejection can be escalated until {request.escalate_by.isoformat()}",
                escalate_by=request.escalate_by.isoformat(),
            )
        move(request, RequestStatus.ESCALATED)
        request.escalated_at = now
        request.escalation_note = note.strip()
        uow.emit(
            events.RequestEscalated(
                request_id=request.id, order_id=request.order_id, shop_id=request.shop_id
            )
        )
        sync_open(uow, request.order_id)
        uow.commit()
        return request


def rule_on_escalation(
    uow: UnitOfWork,
    actor: Actor,
    request_id: int,
    *,
    uphold: bool,
    note: str,
    payments: PaymentProvider,
    terms: Terms = DEFAULT_TERMS,
) -> AftersalesRequest:
    """An operator decides an escalated request. Upheld: it goes on as approved (a refund-only or
    an already returned request pays now). Dismissed: the rejection stands, for good."""
    actor.require(Role.OPERATOR)
    validate_note(note)
    with uow:
        held = locked(uow, request_id)
        request = held.request
        if request.status != RequestStatus.ESCALATED:
            raise conflict(
                AftersalesError.INVALID_TRANSITION,
                f"only an escalated request is ruled on; this one is {request.status}",
            )
        request.ruling = "upheld" if uphold else "dismissed"
        request.ruling_note = note.strip()
        request.ruled_at = uow.clock.now()
        if not uphold:
            move(request, RequestStatus.REJECTED)
        elif request.returned_at is not None:
            execute_refund(uow, held, payments)  # the goods are back already
        else:
            approve(uow, held, Decider.PLATFORM, payments, terms)
        uow.emit(
            events.EscalationRuled(
                request_id=request.id,
                order_id=request.order_id,
                shop_id=request.shop_id,
                ruling=request.ruling,
            )
        )
        sync_open(uow, request.order_id)
        uow.commit()
        return request


# --- internals --------------------------------------------------------------------------------


def _facts(uow: UnitOfWork, order: trade.OrderMoney) -> OrderFacts:
    return OrderFacts(
        status=str(order.status),
        paid_fen=order.paid.amount,
        refunded_fen=order.refunded.amount,
        open_fen=open_amount(uow, order.order_id, order.paid.currency).amount,
        shipped_at=order.shipped_at,
        delivered_at=order.delivered_at,
        instant_refund=order.instant_refund,
        line_policies=order.line_policies,
    )


def _by_key(uow: UnitOfWork, buyer_id: int, key: str) -> AftersalesRequest | None:
    return uow.session.scalar(
        select(AftersalesRequest).where(
            AftersalesRequest.buyer_id == buyer_id, AftersalesRequest.idempotency_key == key
        )
    )


def _same_request(request: AftersalesRequest, cmd: OpenRequest) -> AftersalesRequest:
    asked = (cmd.order_id, cmd.kind, cmd.reason_code, cmd.amount_fen)
    if (request.order_id, request.kind, request.reason_code, request.amount_fen) != asked:
        raise conflict(
            AftersalesError.IDEMPOTENCY_KEY_REUSED,
            "this idempotency key was used for a different request",
            request_id=request.id,
        )
    return request


__all__ = [
    "OpenRequest",
    "approve_request",
    "escalate_request",
    "open_request",
    "reject_request",
    "require_buyer",
    "rule_on_escalation",
    "withdraw_request",
]

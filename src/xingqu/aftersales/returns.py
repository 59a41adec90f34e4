"""Goods going back: the buyer ships an approved return or exchange, the merchant confirms the
return (the refund is made) or ships the replacement; return-shipping insurance pays the buyer's
return postage.

Timers (`aftersales.timers`) close an approved request whose goods never went back within
`return_ship_hours`, and make the refund when the merchant leaves a returned parcel unconfirmed
for `return_receive_hours` (for an exchange too: a merchant who never sends the replacement
refunds instead).

Return-shipping insurance: an order whose products carry cover (small, upgraded, large) pays
one claim, within `insurance_claim_days` of the order's shipment, once the goods are on their way
back: what the return cost, up to the tier's cap. The platform pays it (ledger: debit
`insurance`, credit `payouts`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from xingqu.aftersales import events
from xingqu.aftersales.errors import AftersalesError
from xingqu.aftersales.lifecycle import (
    execute_refund,
    locked,
    move,
    require_own_buyer,
    require_shop,
    sync_open,
)
from xingqu.aftersales.models import AftersalesRequest, InsuranceClaim
from xingqu.aftersales.rules import (
    RequestKind,
    RequestStatus,
    insurance_payout_fen,
    receive_by,
    validate_amount_fen,
    validate_parcel,
)
from xingqu.ledger import services as ledger
from xingqu.ledger.rules import Account, EntryKind, credit, debit
from xingqu.shared.access import Actor
from xingqu.shared.errors import conflict
from xingqu.store.uow import UnitOfWork
from xingqu.trade.deadlines import insurance_claim_ends, passed
from xingqu.trade.payments import PaymentProvider
from xingqu.trade.terms import DEFAULT_TERMS, InsuranceTier, Terms

RETURNED = frozenset({RequestStatus.RETURNING, RequestStatus.EXECUTED, RequestStatus.EXCHANGED})


def ship_return(
    uow: UnitOfWork,
    actor: Actor,
    request_id: int,
    carrier: str,
    tracking_no: str,
    *,
    terms: Terms = DEFAULT_TERMS,
) -> AftersalesRequest:
    """The buyer sends the goods of an approved return or exchange back, by `return_by`."""
    validate_parcel(carrier, tracking_no)
    with uow:
        held = locked(uow, request_id)
        request = held.request
        require_own_buyer(actor, request.buyer_id)
        if request.status == RequestStatus.RETURNING and request.return_tracking_no == (
            tracking_no.strip()
        ):
            return request  # a retry
        move(request, RequestStatus.RETURNING)
        now = uow.clock.now()
        if request.return_by is not None and passed(request.return_by, now):
            raise conflict(
                AftersalesError.WINDOW_CLOSED,
                f"the goods had to be sent back by {request.return_by.isoformat()}",
                return_by=request.return_by.isoformat(),
            )
        request.return_carrier = carrier.strip()
        request.return_tracking_no = tracking_no.strip()
        request.returned_at = now
        request.receive_by = receive_by(now, terms)
        uow.emit(
            events.ReturnShipped(
                request_id=request.id,
                order_id=request.order_id,
                carrier=request.return_carrier,
                tracking_no=request.return_tracking_no,
            )
        )
        uow.commit()
        return request


def confirm_return(
    uow: UnitOfWork, actor: Actor, request_id: int, *, payments: PaymentProvider
) -> AftersalesRequest:
    """The merchant (or an operator) has the returned goods: the refund is made now."""
    with uow:
        held = locked(uow, request_id)
        request = held.request
        require_shop(uow, actor, request.shop_id)
        if request.status == RequestStatus.EXECUTED:
            return request
        if request.kind != RequestKind.RETURN_REFUND:
            raise conflict(
                AftersalesError.INVALID_TRANSITION,
                "an exchange is completed by shipping the replacement, not by a refund",
            )
        if request.status != RequestStatus.RETURNING:
            move(request, RequestStatus.EXECUTED)  # raises: the goods are not on their way back
        execute_refund(uow, held, payments)
        sync_open(uow, request.order_id)
        uow.commit()
        return request


def ship_exchange(
    uow: UnitOfWork, actor: Actor, request_id: int, carrier: str, tracking_no: str
) -> AftersalesRequest:
    """The merchant sends the replacement for returned goods: the exchange is done."""
    validate_parcel(carrier, tracking_no)
    with uow:
        held = locked(uow, request_id)
        request = held.request
        require_shop(uow, actor, request.shop_id)
        if request.kind != RequestKind.EXCHANGE:
            raise conflict(
                AftersalesError.INVALID_TRANSITION, "only an exchange ships a replacement"
            )
        if request.status == RequestStatus.EXCHANGED:
            return request
        move(request, RequestStatus.EXCHANGED)
        request.exchange_carrier = carrier.strip()
        request.exchange_tracking_no = tracking_no.strip()
        request.exchanged_at = uow.clock.now()
        uow.emit(
            events.ExchangeShipped(
                request_id=request.id,
                order_id=request.order_id,
                carrier=request.exchange_carrier,
                tracking_no=request.exchange_tracking_no,
            )
        )
        sync_open(uow, request.order_id)
        uow.commit()
        return request


def claim_return_shipping(
    uow: UnitOfWork,
    actor: Actor,
    request_id: int,
    postage_fen: int,
    *,
    terms: Terms = DEFAULT_TERMS,
) -> InsuranceClaim:
    """The buyer claims the postage of a return sent back; paid at once up to the tier's cap.
    One claim per order: claiming again returns the first claim."""
    validate_amount_fen(postage_fen)
    try:
        with uow:
            held = locked(uow, request_id)
            request, order = held.request, held.order
            require_own_buyer(actor, request.buyer_id)
            existing = _claim_of(uow, request.order_id)
            if existing is not None:
                return existing
            tier = InsuranceTier(order.insurance_tier)
            if tier == InsuranceTier.NONE:
                raise conflict(
                    AftersalesError.NOT_INSURED, "this order carries no return-shipping insurance"
                )
            if request.kind == RequestKind.REFUND_ONLY or request.status not in RETURNED:
                raise conflict(
                    AftersalesError.CLAIM_NOT_ALLOWED,
                    "return postage is claimed once the goods of a return or exchange are "
                    "on their way back",
                )
            now = uow.clock.now()
            assert order.shipped_at is not None  # a return needs a shipment
            ends = insurance_claim_ends(order.shipped_at, terms)
            if passed(ends, now):
                raise conflict(
                    AftersalesError.WINDOW_CLOSED,
                    f"return-shipping insurance was claimable until {ends.isoformat()}",
                    window_ends=ends.isoformat(),
                )
            paid = insurance_payout_fen(postage_fen, terms.insurance_caps_fen[tier])
            claim = InsuranceClaim(
                order_id=request.order_id,
                request_id=request.id,
                buyer_id=request.buyer_id,
                shop_id=request.shop_id,
                tier=tier,
                claimed_fen=postage_fen,
                paid_fen=paid,
                currency=request.currency,
                claimed_at=now,
            )
            uow.session.add(claim)
            uow.flush()  # a concurrent claim on the same order fails here
            ledger.post(
                uow,
                EntryKind.INSURANCE_CLAIM,
                f"insurance:order:{request.order_id}",
                [debit(Account.INSURANCE, paid), credit(Account.PAYOUTS, paid)],
                currency=request.currency,
                order_id=request.order_id,
                memo=f"return postage for request {request.id} ({tier} cover)",
            )
            uow.emit(
                events.InsuranceClaimPaid(
                    order_id=request.order_id,
                    request_id=request.id,
                    buyer_id=request.buyer_id,
                    tier=tier,
                    paid_fen=paid,
                )
            )
            uow.commit()
            return claim
    except IntegrityError as exc:
        race = exc
    with uow:
        order_id = uow.session.scalar(
            select(AftersalesRequest.order_id).where(AftersalesRequest.id == request_id)
        )
        existing = _claim_of(uow, order_id) if order_id is not None else None
        if existing is None:
            raise race
        return existing


def _claim_of(uow: UnitOfWork, order_id: int) -> InsuranceClaim | None:
    return uow.session.scalar(select(InsuranceClaim).where(InsuranceClaim.order_id == order_id))

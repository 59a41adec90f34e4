"""After-sales requests (refund only, return and refund, exchange), returns, escalations to the
platform and return-shipping insurance. `POST /orders/{id}/aftersales` needs an
`Idempotency-Key` header, as in trade."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import Field

from xingqu.aftersales import queries, returns, services
from xingqu.aftersales.rules import (
    MAX_CARRIER,
    MAX_DESCRIPTION,
    MAX_NOTE,
    MAX_TRACKING_NO,
    ReasonCode,
    RequestKind,
)
from xingqu.api.deps import CurrentActor, IdempotencyKey, PageDep, PlatformDep
from xingqu.api.schemas import ERRORS, PageOf, Public, Strict

router = APIRouter(tags=["aftersales"], responses=ERRORS)  # type: ignore[arg-type]


class RequestCreate(Strict):
    kind: RequestKind = Field(description="refund_only, return_refund or exchange")
    reason_code: ReasonCode = Field(description="no_reason is the 7-day no-reason return")
    amount_fen: int = Field(
        gt=0, description="how much back, in fen (for an exchange: the refund if it fails)"
    )
    description: str = Field(default="", max_length=MAX_DESCRIPTION)


class Note(Strict):
    note: str = Field(min_length=1, max_length=MAX_NOTE)


class Ruling(Strict):
    uphold: bool = Field(description="true: the buyer wins; false: the rejection stands")
    note: str = Field(min_length=1, max_length=MAX_NOTE)


class Parcel(Strict):
    carrier: str = Field(min_length=1, max_length=MAX_CARRIER)
    tracking_no: str = Field(min_length=1, max_length=MAX_TRACKING_NO)


class ClaimCreate(Strict):
    postage_fen: int = Field(gt=0, description="what the return parcel cost, in fen")


class RequestPublic(Public):
    id: int
    order_id: int
    buyer_id: int
    shop_id: int
    kind: str
    reason_code: str
    description: str
    amount_fen: int
    currency: str
    status: str
    requested_at: datetime
    respond_by: datetime
    decided_at: datetime | None
    decided_by: str | None
    merchant_note: str | None
    return_by: datetime | None
    return_carrier: str | None
    return_tracking_no: str | None
    returned_at: datetime | None
    receive_by: datetime | None
    escalate_by: datetime | None
    escalated_at: datetime | None
    ruling: str | None
    ruling_note: str | None
    provider_reference: str | None
    executed_at: datetime | None
    exchange_carrier: str | None
    exchange_tracking_no: str | None
    exchanged_at: datetime | None
    closed_at: datetime | None
    close_reason: str | None


class ClaimPublic(Public):
    id: int
    order_id: int
    request_id: int
    tier: str
    claimed_fen: int
    paid_fen: int
    currency: str
    claimed_at: datetime


@router.post("/orders/{order_id}/aftersales", status_code=status.HTTP_201_CREATED)
def open_request(
    order_id: int,
    body: RequestCreate,
    key: IdempotencyKey,
    actor: CurrentActor,
    platform: PlatformDep,
) -> RequestPublic:
    """The buyer asks. A refund-only request on an unshipped order may be refunded at once
    (instant refund); otherwise the shop answers within its deadline or it is approved."""
    cmd = services.OpenRequest(
        order_id=order_id,
        kind=body.kind,
        reason_code=body.reason_code,
        amount_fen=body.amount_fen,
        idempotency_key=key,
        description=body.description,
    )
    request = services.open_request(
        platform.uow(), actor, cmd, payments=platform.payments, terms=platform.settings.trade
    )
    return RequestPublic.model_validate(request)


@router.get("/aftersales")
def list_requests(
    actor: CurrentActor,
    platform: PlatformDep,
    page: PageDep,
    as_merchant: Annotated[
        bool, Query(description="requests on your shops (operators: every shop's)")
    ] = False,
    status_: Annotated[str | None, Query(alias="status")] = None,
    order_id: int | None = None,
) -> PageOf[RequestPublic]:
    result = queries.list_requests(
        platform.uow(readonly=True),
        actor,
        page,
        as_merchant=as_merchant,
        status=status_,
        order_id=order_id,
    )
    return PageOf[RequestPublic](
        items=[RequestPublic.model_validate(r) for r in result.items],
        total=result.total,
        limit=result.limit,
        offset=result.offset,
    )


@router.get("/aftersales/{request_id}")
def get_request(request_id: int, actor: CurrentActor, platform: PlatformDep) -> RequestPublic:
    """For the buyer, the shop's merchant and operators."""
    return RequestPublic.model_validate(
        queries.get_request(platform.uow(readonly=True), actor, request_id)
    )


@router.post("/aftersales/{request_id}/approve")
def approve_request(request_id: int, actor: CurrentActor, platform: PlatformDep) -> RequestPublic:
    """The shop's merchant (or an operator): a refund-only request pays now; a return or
    exchange waits for the goods."""
    request = services.approve_request(
        platform.uow(),
        actor,
        request_id,
        payments=platform.payments,
        terms=platform.settings.trade,
    )
    return RequestPublic.model_validate(request)


@router.post("/aftersales/{request_id}/reject")
def reject_request(
    request_id: int, body: Note, actor: CurrentActor, platform: PlatformDep
) -> RequestPublic:
    request = services.reject_request(
        platform.uow(), actor, request_id, body.note, terms=platform.settings.trade
    )
    return RequestPublic.model_validate(request)


@router.post("/aftersales/{request_id}/withdraw")
def withdraw_request(request_id: int, actor: CurrentActor, platform: PlatformDep) -> RequestPublic:
    """The buyer drops the request."""
    return RequestPublic.model_validate(
        services.withdraw_request(platform.uow(), actor, request_id)
    )


@router.post("/aftersales/{request_id}/escalate")
def escalate_request(
    request_id: int, body: Note, actor: CurrentActor, platform: PlatformDep
) -> RequestPublic:
    """The buyer takes a rejection to the platform."""
    return RequestPublic.model_validate(
        services.escalate_request(platform.uow(), actor, request_id, body.note)
    )


@router.post("/aftersales/{request_id}/ruling")
def rule_on_escalation(
    request_id: int, body: Ruling, actor: CurrentActor, platform: PlatformDep
) -> RequestPublic:
    """An operator decides an escalated request."""
    request = services.rule_on_escalation(
        platform.uow(),
        actor,
        request_id,
        uphold=body.uphold,
        note=body.note,
        payments=platform.payments,
        terms=platform.settings.trade,
    )
    return RequestPublic.model_validate(request)


@router.post("/aftersales/{request_id}/return")
def ship_return(
    request_id: int, body: Parcel, actor: CurrentActor, platform: PlatformDep
) -> RequestPublic:
    """The buyer sends the goods back."""
    request = returns.ship_return(
        platform.uow(),
        actor,
        request_id,
        body.carrier,
        body.tracking_no,
        terms=platform.settings.trade,
    )
    return RequestPublic.model_validate(request)


@router.post("/aftersales/{request_id}/receive")
def confirm_return(request_id: int, actor: CurrentActor, platform: PlatformDep) -> RequestPublic:
    """The shop has the returned goods: the refund is made."""
    request = returns.confirm_return(platform.uow(), actor, request_id, payments=platform.payments)
    return RequestPublic.model_validate(request)


@router.post("/aftersales/{request_id}/exchange")
def ship_exchange(
    request_id: int, body: Parcel, actor: CurrentActor, platform: PlatformDep
) -> RequestPublic:
    """The shop sends the replacement."""
    request = returns.ship_exchange(
        platform.uow(), actor, request_id, body.carrier, body.tracking_no
    )
    return RequestPublic.model_validate(request)


@router.post("/aftersales/{request_id}/insurance-claim", status_code=status.HTTP_201_CREATED)
def claim_return_shipping(
    request_id: int, body: ClaimCreate, actor: CurrentActor, platform: PlatformDep
) -> ClaimPublic:
    """The buyer claims the return postage (one claim per order, capped by the cover)."""
    claim = returns.claim_return_shipping(
        platform.uow(), actor, request_id, body.postage_fen, terms=platform.settings.trade
    )
    return ClaimPublic.model_validate(claim)

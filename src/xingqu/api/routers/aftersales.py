"""Refund requests. `POST /orders/{id}/refunds` needs an `Idempotency-Key` header, as in trade."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import Field

from xingqu.aftersales import queries, services
from xingqu.aftersales.rules import MAX_NOTE, MAX_REASON
from xingqu.api.deps import CurrentActor, IdempotencyKey, PageDep, PlatformDep
from xingqu.api.schemas import ERRORS, PageOf, Public, Strict

router = APIRouter(tags=["aftersales"], responses=ERRORS)  # type: ignore[arg-type]


class RefundCreate(Strict):
    amount_fen: int = Field(
        gt=0, description="how much back, in fen; at most what is left to refund"
    )
    reason: str = Field(min_length=1, max_length=MAX_REASON)


class RefundReject(Strict):
    note: str = Field(min_length=1, max_length=MAX_NOTE)


class RefundPublic(Public):
    id: int
    order_id: int
    buyer_id: int
    shop_id: int
    amount_fen: int
    currency: str
    reason: str
    status: str
    merchant_note: str | None
    provider_reference: str | None
    requested_at: datetime
    decided_at: datetime | None
    executed_at: datetime | None


@router.post("/orders/{order_id}/refunds", status_code=status.HTTP_201_CREATED)
def request_refund(
    order_id: int,
    body: RefundCreate,
    key: IdempotencyKey,
    actor: CurrentActor,
    platform: PlatformDep,
) -> RefundPublic:
    """The buyer asks for money back on a paid order."""
    refund = services.request_refund(
        platform.uow(), actor, order_id, body.amount_fen, body.reason, key
    )
    return RefundPublic.model_validate(refund)


@router.get("/refunds")
def list_refunds(
    actor: CurrentActor,
    platform: PlatformDep,
    page: PageDep,
    as_merchant: Annotated[
        bool, Query(description="requests on your shops instead of yours")
    ] = False,
    status_: Annotated[str | None, Query(alias="status")] = None,
) -> PageOf[RefundPublic]:
    result = queries.list_refunds(
        platform.uow(readonly=True), actor, page, as_merchant=as_merchant, status=status_
    )
    return PageOf[RefundPublic](
        items=[RefundPublic.model_validate(r) for r in result.items],
        total=result.total,
        limit=result.limit,
        offset=result.offset,
    )


@router.get("/refunds/{refund_id}")
def get_refund(refund_id: int, actor: CurrentActor, platform: PlatformDep) -> RefundPublic:
    """For the buyer, the shop's merchant and operators."""
    return RefundPublic.model_validate(
        queries.get_refund(platform.uow(readonly=True), actor, refund_id)
    )


@router.post("/refunds/{refund_id}/approve")
def approve_refund(refund_id: int, actor: CurrentActor, platform: PlatformDep) -> RefundPublic:
    """The shop's merchant (or an operator) approves: the money goes back now."""
    refund = services.approve_refund(platform.uow(), actor, refund_id, payments=platform.payments)
    return RefundPublic.model_validate(refund)


@router.post("/refunds/{refund_id}/reject")
def reject_refund(
    refund_id: int, body: RefundReject, actor: CurrentActor, platform: PlatformDep
) -> RefundPublic:
    return RefundPublic.model_validate(
        services.reject_refund(platform.uow(), actor, refund_id, body.note)
    )

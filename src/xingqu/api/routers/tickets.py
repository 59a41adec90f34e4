"""Customer-service tickets between buyers and shops. `POST /tickets` needs an `Idempotency-Key`
header."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import Field

from xingqu.aftersales import queries, tickets
from xingqu.aftersales.rules import MAX_MESSAGE, MAX_NOTE, MAX_SUBJECT
from xingqu.api.deps import CurrentActor, IdempotencyKey, PageDep, PlatformDep
from xingqu.api.schemas import ERRORS, PageOf, Public, Strict

router = APIRouter(tags=["customer service"], responses=ERRORS)  # type: ignore[arg-type]


class TicketCreate(Strict):
    shop_id: int
    order_id: int | None = Field(default=None, description="one of your orders from the shop")
    subject: str = Field(min_length=1, max_length=MAX_SUBJECT)
    message: str = Field(min_length=1, max_length=MAX_MESSAGE)


class MessageCreate(Strict):
    body: str = Field(min_length=1, max_length=MAX_MESSAGE)


class CloseTicket(Strict):
    note: str = Field(min_length=1, max_length=MAX_NOTE)


class MessagePublic(Public):
    id: int
    author_id: int
    side: str
    body: str
    sent_at: datetime


class TicketPublic(Public):
    id: int
    buyer_id: int
    shop_id: int
    order_id: int | None
    subject: str
    status: str
    opened_at: datetime
    first_response_due: datetime
    first_response_at: datetime | None
    resolution_due: datetime
    awaiting_shop: bool
    resolved_at: datetime | None
    escalated_at: datetime | None
    escalated_by: str | None
    closed_at: datetime | None
    platform_note: str | None
    messages: list[MessagePublic]


@router.post("/tickets", status_code=status.HTTP_201_CREATED)
def open_ticket(
    body: TicketCreate, key: IdempotencyKey, actor: CurrentActor, platform: PlatformDep
) -> TicketPublic:
    """The buyer writes to a shop; it answers within its first-response goal."""
    ticket = tickets.open_ticket(
        platform.uow(),
        actor,
        tickets.OpenTicket(body.shop_id, body.subject, body.message, key, body.order_id),
        terms=platform.settings.trade,
    )
    return TicketPublic.model_validate(ticket)


@router.get("/tickets")
def list_tickets(
    actor: CurrentActor,
    platform: PlatformDep,
    page: PageDep,
    as_merchant: Annotated[
        bool, Query(description="tickets to your shops (operators: every shop's)")
    ] = False,
    status_: Annotated[str | None, Query(alias="status")] = None,
) -> PageOf[TicketPublic]:
    result = queries.list_tickets(
        platform.uow(readonly=True), actor, page, as_merchant=as_merchant, status=status_
    )
    return PageOf[TicketPublic](
        items=[TicketPublic.model_validate(t) for t in result.items],
        total=result.total,
        limit=result.limit,
        offset=result.offset,
    )


@router.get("/tickets/{ticket_id}")
def get_ticket(ticket_id: int, actor: CurrentActor, platform: PlatformDep) -> TicketPublic:
    return TicketPublic.model_validate(
        queries.get_ticket(platform.uow(readonly=True), actor, ticket_id)
    )


@router.post("/tickets/{ticket_id}/messages", status_code=status.HTTP_201_CREATED)
def post_message(
    ticket_id: int, body: MessageCreate, actor: CurrentActor, platform: PlatformDep
) -> TicketPublic:
    """The buyer, the shop's merchant or an operator writes."""
    return TicketPublic.model_validate(
        tickets.post_message(platform.uow(), actor, ticket_id, body.body)
    )


@router.post("/tickets/{ticket_id}/resolve")
def resolve_ticket(ticket_id: int, actor: CurrentActor, platform: PlatformDep) -> TicketPublic:
    return TicketPublic.model_validate(tickets.resolve_ticket(platform.uow(), actor, ticket_id))


@router.post("/tickets/{ticket_id}/escalate")
def escalate_ticket(ticket_id: int, actor: CurrentActor, platform: PlatformDep) -> TicketPublic:
    """The buyer asks the platform to step in."""
    return TicketPublic.model_validate(tickets.escalate_ticket(platform.uow(), actor, ticket_id))


@router.post("/tickets/{ticket_id}/close")
def close_ticket(
    ticket_id: int, body: CloseTicket, actor: CurrentActor, platform: PlatformDep
) -> TicketPublic:
    """An operator closes an escalated ticket with the platform's answer."""
    return TicketPublic.model_validate(
        tickets.close_ticket(platform.uow(), actor, ticket_id, body.note)
    )

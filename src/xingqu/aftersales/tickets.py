"""Customer-service tickets between a buyer and a shop (use cases, one transaction each).

A buyer opens a ticket to a shop (about one of their orders from it, or not) with a first
message. The shop's first answer is due within `ticket_first_response_hours` and the ticket's
resolution within `ticket_resolution_hours`; a ticket still open after that is escalated to the
platform by the timer, and the buyer may escalate it at any time. Either side marks it resolved;
an operator answers and closes an escalated one. The timings feed the merchant experience score
(`queries.first_responses`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from xingqu.aftersales import events
from xingqu.aftersales.errors import AftersalesError
from xingqu.aftersales.models import Ticket, TicketMessage
from xingqu.aftersales.rules import (
    MAX_MESSAGE,
    MAX_SUBJECT,
    TicketSide,
    TicketStatus,
    check_ticket_transition,
    first_response_due,
    resolution_due,
    validate_idempotency_key,
    validate_note,
    validate_text,
)
from xingqu.catalog import services as catalog
from xingqu.shared.access import Actor, Role
from xingqu.shared.errors import conflict, forbidden, invalid, not_found
from xingqu.store.uow import UnitOfWork
from xingqu.trade import queries as trade_queries
from xingqu.trade.terms import DEFAULT_TERMS, Terms


@dataclass(frozen=True)
class OpenTicket:
    shop_id: int
    subject: str
    message: str
    idempotency_key: str
    order_id: int | None = None


def open_ticket(
    uow: UnitOfWork, actor: Actor, cmd: OpenTicket, *, terms: Terms = DEFAULT_TERMS
) -> Ticket:
    """The buyer writes to a shop. A retry with the same key returns the first ticket."""
    actor.require(Role.CONSUMER)
    validate_idempotency_key(cmd.idempotency_key)
    validate_text(cmd.subject, MAX_SUBJECT, "a subject")
    validate_text(cmd.message, MAX_MESSAGE, "a message")
    if cmd.order_id is not None:
        order = trade_queries.get_order(uow, actor, cmd.order_id)  # its own read: 404 / 403
        if order.buyer_id != actor.user_id or order.shop_id != cmd.shop_id:
            raise invalid(
                AftersalesError.INVALID_REQUEST,
                "a ticket is about one of your orders from the shop",
            )
    try:
        with uow:
            existing = _by_key(uow, actor.user_id, cmd.idempotency_key)
            if existing is not None:
                return existing
            catalog.shop_owner_user_id(uow, cmd.shop_id)  # 404 for a shop that does not exist
            now = uow.clock.now()
            ticket = Ticket(
                buyer_id=actor.user_id,
                shop_id=cmd.shop_id,
                order_id=cmd.order_id,
                subject=cmd.subject.strip(),
                status=TicketStatus.OPEN,
                idempotency_key=cmd.idempotency_key,
                opened_at=now,
                first_response_due=first_response_due(now, terms),
                resolution_due=resolution_due(now, terms),
                awaiting_shop=True,
                messages=[
                    TicketMessage(
                        author_id=actor.user_id,
                        side=TicketSide.BUYER,
                        body=cmd.message.strip(),
                        sent_at=now,
                    )
                ],
            )
            uow.session.add(ticket)
            uow.flush()
            uow.emit(
                events.TicketOpened(
                    ticket_id=ticket.id,
                    buyer_id=ticket.buyer_id,
                    shop_id=ticket.shop_id,
                    order_id=ticket.order_id,
                )
            )
            uow.commit()
            return ticket
    except IntegrityError as exc:
        race = exc
    with uow:
        existing = _by_key(uow, actor.user_id, cmd.idempotency_key)
        if existing is None:
            raise race
        return existing


def post_message(uow: UnitOfWork, actor: Actor, ticket_id: int, body: str) -> Ticket:
    """The buyer, the shop's merchant or an operator writes on an open or escalated ticket."""
    validate_text(body, MAX_MESSAGE, "a message")
    with uow:
        ticket = _locked(uow, ticket_id)
        side = _side(uow, actor, ticket)
        if ticket.status not in (TicketStatus.OPEN, TicketStatus.ESCALATED):
            raise conflict(
                AftersalesError.INVALID_TRANSITION, f"the ticket is {ticket.status}; open a new one"
            )
        now = uow.clock.now()
        ticket.messages.append(
            TicketMessage(author_id=actor.user_id, side=side, body=body.strip(), sent_at=now)
        )
        if side == TicketSide.BUYER:
            ticket.awaiting_shop = True
        else:
            ticket.awaiting_shop = False
            if side == TicketSide.MERCHANT and ticket.first_response_at is None:
                ticket.first_response_at = now
        uow.emit(events.TicketMessagePosted(ticket_id=ticket.id, side=side))
        uow.commit()
        return ticket


def resolve_ticket(uow: UnitOfWork, actor: Actor, ticket_id: int) -> Ticket:
    """The buyer or the shop's merchant marks an open ticket resolved."""
    with uow:
        ticket = _locked(uow, ticket_id)
        side = _side(uow, actor, ticket)
        if side == TicketSide.PLATFORM:
            raise forbidden("operators close escalated tickets instead")
        check_ticket_transition(TicketStatus(ticket.status), TicketStatus.RESOLVED)
        ticket.status = TicketStatus.RESOLVED
        ticket.resolved_at = uow.clock.now()
        uow.emit(events.TicketResolved(ticket_id=ticket.id, shop_id=ticket.shop_id))
        uow.commit()
        return ticket


def escalate_ticket(uow: UnitOfWork, actor: Actor, ticket_id: int) -> Ticket:
    """The buyer asks the platform to step in."""
    with uow:
        ticket = _locked(uow, ticket_id)
        if _side(uow, actor, ticket) != TicketSide.BUYER:
            raise forbidden("the buyer escalates a ticket")
        escalate(uow, ticket, "buyer")
        uow.commit()
        return ticket


def close_ticket(uow: UnitOfWork, actor: Actor, ticket_id: int, note: str) -> Ticket:
    """An operator closes an escalated ticket with the platform's answer."""
    actor.require(Role.OPERATOR)
    validate_note(note)
    with uow:
        ticket = _locked(uow, ticket_id)
        check_ticket_transition(TicketStatus(ticket.status), TicketStatus.CLOSED)
        ticket.status = TicketStatus.CLOSED
        ticket.closed_at = uow.clock.now()
        ticket.platform_note = note.strip()
        uow.emit(events.TicketClosed(ticket_id=ticket.id, shop_id=ticket.shop_id))
        uow.commit()
        return ticket


def escalate(uow: UnitOfWork, ticket: Ticket, by: str) -> None:
    check_ticket_transition(TicketStatus(ticket.status), TicketStatus.ESCALATED)
    ticket.status = TicketStatus.ESCALATED
    ticket.escalated_at = uow.clock.now()
    ticket.escalated_by = by
    uow.emit(events.TicketEscalated(ticket_id=ticket.id, shop_id=ticket.shop_id, by=by))


def locked_ticket(uow: UnitOfWork, ticket_id: int) -> Ticket:
    return _locked(uow, ticket_id)


def _locked(uow: UnitOfWork, ticket_id: int) -> Ticket:
    ticket = uow.session.scalar(
        select(Ticket)
        .where(Ticket.id == ticket_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if ticket is None:
        raise not_found(AftersalesError.TICKET_NOT_FOUND, "ticket", ticket_id)
    return ticket


def _side(uow: UnitOfWork, actor: Actor, ticket: Ticket) -> TicketSide:
    if actor.user_id == ticket.buyer_id and actor.has(Role.CONSUMER):
        return TicketSide.BUYER
    if catalog.owns_shop(uow, actor, ticket.shop_id):
        return TicketSide.MERCHANT
    if actor.is_operator:
        return TicketSide.PLATFORM
    raise forbidden("this ticket is neither yours nor your shop's")


def _by_key(uow: UnitOfWork, buyer_id: int, key: str) -> Ticket | None:
    return uow.session.scalar(
        select(Ticket).where(Ticket.buyer_id == buyer_id, Ticket.idempotency_key == key)
    )

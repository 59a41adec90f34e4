"""The operator console, part two: the platform's rulings on what buyers escalated — after-sales
requests a shop rejected (uphold for the buyer, or let the rejection stand) and customer-service
tickets (answer in the conversation, close with the platform's answer). After-sales' services
check that the actor is an operator."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from xingqu.aftersales import queries as aftersales_queries
from xingqu.aftersales import services as aftersales
from xingqu.aftersales import tickets
from xingqu.aftersales.rules import RequestStatus, TicketStatus
from xingqu.api.deps import PlatformDep
from xingqu.shared.access import Actor, Role
from xingqu.shared.paging import PageRequest
from xingqu.web import forms
from xingqu.web.rendering import done_redirect, render
from xingqu.web.session import VerifiedForm, require_role

router = APIRouter(prefix="/ops", include_in_schema=False)

Operator = Annotated[Actor, Depends(require_role(Role.OPERATOR))]

PAGE = 20


# --- escalated after-sales requests --------------------------------------------------------------


@router.get("/aftersales", response_class=HTMLResponse)
def escalated_requests(
    request: Request,
    platform: PlatformDep,
    actor: Operator,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Requests buyers took to the platform after the shop rejected them, newest first, each with
    the shop's reason, the buyer's note and the ruling form."""
    page = aftersales_queries.list_requests(
        platform.uow(readonly=True),
        actor,
        PageRequest(PAGE, offset),
        as_merchant=True,
        status=RequestStatus.ESCALATED,
    )
    return render(request, "ops/escalations.html", actor=actor, page=page)


@router.post("/aftersales/{request_id}/ruling")
def rule(request_id: int, platform: PlatformDep, actor: Operator, form: VerifiedForm) -> Response:
    """Uphold (the buyer wins: the request goes on as approved, a refund is paid where it is
    due) or dismiss (the rejection stands, for good)."""
    uphold = forms.choice(form, "decision", ("uphold", "dismiss")) == "uphold"
    aftersales.rule_on_escalation(
        platform.uow(),
        actor,
        request_id,
        uphold=uphold,
        note=forms.text(form, "note", max_length=500),
        payments=platform.payments,
        terms=platform.settings.trade,
    )
    return done_redirect("/ops/aftersales", "ruled_upheld" if uphold else "ruled_dismissed")


# --- escalated customer-service tickets ----------------------------------------------------------


@router.get("/tickets", response_class=HTMLResponse)
def escalated_tickets(
    request: Request,
    platform: PlatformDep,
    actor: Operator,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    page = aftersales_queries.list_tickets(
        platform.uow(readonly=True),
        actor,
        PageRequest(PAGE, offset),
        as_merchant=True,
        status=TicketStatus.ESCALATED,
    )
    return render(request, "ops/tickets.html", actor=actor, page=page)


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
def ticket_page(
    ticket_id: int, request: Request, platform: PlatformDep, actor: Operator
) -> Response:
    ticket = aftersales_queries.get_ticket(platform.uow(readonly=True), actor, ticket_id)
    return render(request, "ops/ticket.html", actor=actor, ticket=ticket)


@router.post("/tickets/{ticket_id}/messages")
def answer(ticket_id: int, platform: PlatformDep, actor: Operator, form: VerifiedForm) -> Response:
    """The platform writes in the conversation (the ticket stays escalated)."""
    tickets.post_message(
        platform.uow(), actor, ticket_id, forms.text(form, "body", max_length=2_000)
    )
    return RedirectResponse(f"/ops/tickets/{ticket_id}?done=sent#latest", status_code=303)


@router.post("/tickets/{ticket_id}/close")
def close(ticket_id: int, platform: PlatformDep, actor: Operator, form: VerifiedForm) -> Response:
    """Close the escalated ticket with the platform's answer."""
    tickets.close_ticket(platform.uow(), actor, ticket_id, forms.text(form, "note", max_length=500))
    return done_redirect("/ops/tickets", "ticket_closed")

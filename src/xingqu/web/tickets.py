"""Customer-service chat between a buyer and a shop: one ticket page for both sides (and
operators); after-sales' ticket service checks that the reader is a party."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from xingqu.aftersales import queries as aftersales_queries
from xingqu.aftersales import tickets
from xingqu.api.deps import PlatformDep
from xingqu.catalog import queries as catalog_queries
from xingqu.shared.access import Actor, Role
from xingqu.shared.paging import PageRequest
from xingqu.web import forms
from xingqu.web.rendering import done_redirect, render
from xingqu.web.session import VerifiedForm, WebActor, require_role

router = APIRouter(include_in_schema=False)

Consumer = Annotated[Actor, Depends(require_role(Role.CONSUMER))]


@router.get("/tickets", response_class=HTMLResponse)
def my_tickets(request: Request, platform: PlatformDep, actor: Consumer) -> Response:
    page = aftersales_queries.list_tickets(platform.uow(readonly=True), actor, PageRequest(50))
    return render(request, "tickets/list.html", actor=actor, page=page, side="buyer")


@router.get("/tickets/new", response_class=HTMLResponse)
def new_ticket(request: Request, platform: PlatformDep, actor: Consumer) -> Response:
    shop_id = request.query_params.get("shop", "")
    order_id = request.query_params.get("order", "")
    shop = (
        catalog_queries.get_shop(platform.uow(readonly=True), int(shop_id))
        if shop_id.isdigit()
        else None
    )
    return render(
        request,
        "tickets/new.html",
        actor=actor,
        shop=shop,
        order_id=int(order_id) if order_id.isdigit() else None,
        key=forms.new_key(),
    )


@router.post("/tickets")
def open_ticket(platform: PlatformDep, actor: Consumer, form: VerifiedForm) -> Response:
    ticket = tickets.open_ticket(
        platform.uow(),
        actor,
        tickets.OpenTicket(
            forms.integer(form, "shop_id"),
            forms.text(form, "subject", max_length=120),
            forms.text(form, "message", max_length=2_000),
            forms.idempotency_key(form),
            forms.optional_integer(form, "order_id"),
        ),
        terms=platform.settings.trade,
    )
    return done_redirect(f"/tickets/{ticket.id}", "ticket_opened")


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
def ticket_page(
    ticket_id: int, request: Request, platform: PlatformDep, actor: WebActor
) -> Response:
    ticket = aftersales_queries.get_ticket(platform.uow(readonly=True), actor, ticket_id)
    side = "buyer" if ticket.buyer_id == actor.user_id else "shop"
    return render(request, "tickets/ticket.html", actor=actor, ticket=ticket, side=side)


@router.post("/tickets/{ticket_id}/messages")
def post_message(
    ticket_id: int, platform: PlatformDep, actor: WebActor, form: VerifiedForm
) -> Response:
    tickets.post_message(
        platform.uow(), actor, ticket_id, forms.text(form, "body", max_length=2_000)
    )
    return RedirectResponse(f"/tickets/{ticket_id}?done=sent#latest", status_code=303)


@router.post("/tickets/{ticket_id}/resolve")
def resolve(ticket_id: int, platform: PlatformDep, actor: WebActor, form: VerifiedForm) -> Response:
    tickets.resolve_ticket(platform.uow(), actor, ticket_id)
    return done_redirect(f"/tickets/{ticket_id}", "resolved")


@router.post("/tickets/{ticket_id}/escalate")
def escalate(
    ticket_id: int, platform: PlatformDep, actor: WebActor, form: VerifiedForm
) -> Response:
    tickets.escalate_ticket(platform.uow(), actor, ticket_id)
    return done_redirect(f"/tickets/{ticket_id}", "escalated")

"""The merchant console, part two: orders to ship with their deadlines, the after-sales queue with
its timers, customer-service tickets and settlement statements. Trade, after-sales and the ledger
check that each order, request and statement is the merchant's own."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from xingqu.aftersales import queries as aftersales_queries
from xingqu.aftersales import returns as aftersales_returns
from xingqu.aftersales import services as aftersales
from xingqu.api.deps import PlatformDep
from xingqu.catalog import queries as catalog_queries
from xingqu.ledger import queries as ledger_queries
from xingqu.ledger.rules import Account
from xingqu.shared.access import Actor, Role
from xingqu.shared.paging import PageRequest
from xingqu.trade import queries as trade_queries
from xingqu.trade import services as trade
from xingqu.trade.rules import OrderStatus
from xingqu.web import forms
from xingqu.web.rendering import done_redirect, render
from xingqu.web.session import VerifiedForm, require_role

router = APIRouter(prefix="/merchant", include_in_schema=False)

Merchant = Annotated[Actor, Depends(require_role(Role.MERCHANT))]

PAGE = 30
STATUSES = tuple(str(s) for s in OrderStatus)
STATEMENT_DAYS = 30


# --- orders -------------------------------------------------------------------------------------


@router.get("/orders", response_class=HTMLResponse)
def orders(
    request: Request,
    platform: PlatformDep,
    actor: Merchant,
    status: Annotated[str, Query()] = "paid",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """The shop's orders; by default the paid ones waiting to ship, with their ship-by times."""
    chosen = status if status in STATUSES else None
    page = trade_queries.list_orders(
        platform.uow(readonly=True),
        actor,
        PageRequest(PAGE, offset),
        as_merchant=True,
        status=chosen,
    )
    return render(
        request,
        "merchant/orders.html",
        actor=actor,
        page=page,
        status=chosen or "",
        statuses=STATUSES,
        now=platform.clock.now(),
    )


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order_page(order_id: int, request: Request, platform: PlatformDep, actor: Merchant) -> Response:
    """One order of the merchant's shop (trade refuses anyone else's: 403)."""
    order = trade_queries.get_order(platform.uow(readonly=True), actor, order_id)
    tracking = trade_queries.tracking(platform.uow(readonly=True), actor, order_id)
    return render(
        request,
        "merchant/order.html",
        actor=actor,
        order=order,
        tracking=tracking,
        now=platform.clock.now(),
    )


@router.post("/orders/{order_id}/ship")
def ship(order_id: int, platform: PlatformDep, actor: Merchant, form: VerifiedForm) -> Response:
    trade.ship_order(
        platform.uow(),
        actor,
        order_id,
        forms.text(form, "carrier", max_length=40),
        forms.text(form, "tracking_no", max_length=64),
        terms=platform.settings.trade,
    )
    return done_redirect(f"/merchant/orders/{order_id}", "shipped")


# --- after-sales --------------------------------------------------------------------------------


@router.get("/aftersales", response_class=HTMLResponse)
def aftersales_queue(
    request: Request,
    platform: PlatformDep,
    actor: Merchant,
    status: Annotated[str, Query()] = "requested",
) -> Response:
    page = aftersales_queries.list_requests(
        platform.uow(readonly=True),
        actor,
        PageRequest(PAGE),
        as_merchant=True,
        status=status or None,
    )
    return render(
        request,
        "merchant/aftersales.html",
        actor=actor,
        page=page,
        status=status,
        now=platform.clock.now(),
    )


@router.get("/aftersales/{request_id}", response_class=HTMLResponse)
def aftersales_page(
    request_id: int, request: Request, platform: PlatformDep, actor: Merchant
) -> Response:
    found = aftersales_queries.get_request(platform.uow(readonly=True), actor, request_id)
    return render(
        request,
        "merchant/aftersales_request.html",
        actor=actor,
        req=found,
        now=platform.clock.now(),
    )


@router.post("/aftersales/{request_id}/approve")
def approve(
    request_id: int, platform: PlatformDep, actor: Merchant, form: VerifiedForm
) -> Response:
    aftersales.approve_request(
        platform.uow(),
        actor,
        request_id,
        payments=platform.payments,
        terms=platform.settings.trade,
    )
    return done_redirect(f"/merchant/aftersales/{request_id}", "approved")


@router.post("/aftersales/{request_id}/reject")
def reject(request_id: int, platform: PlatformDep, actor: Merchant, form: VerifiedForm) -> Response:
    aftersales.reject_request(
        platform.uow(),
        actor,
        request_id,
        forms.text(form, "note", max_length=500),
        terms=platform.settings.trade,
    )
    return done_redirect(f"/merchant/aftersales/{request_id}", "rejected")


@router.post("/aftersales/{request_id}/receive")
def receive(
    request_id: int, platform: PlatformDep, actor: Merchant, form: VerifiedForm
) -> Response:
    aftersales_returns.confirm_return(platform.uow(), actor, request_id, payments=platform.payments)
    return done_redirect(f"/merchant/aftersales/{request_id}", "received")


# --- tickets and statements ---------------------------------------------------------------------


@router.get("/tickets", response_class=HTMLResponse)
def tickets(request: Request, platform: PlatformDep, actor: Merchant) -> Response:
    page = aftersales_queries.list_tickets(
        platform.uow(readonly=True), actor, PageRequest(50), as_merchant=True
    )
    return render(
        request, "tickets/list.html", actor=actor, page=page, side="shop", now=platform.clock.now()
    )


@router.get("/statements", response_class=HTMLResponse)
def statements(request: Request, platform: PlatformDep, actor: Merchant) -> Response:
    """Each shop's payable over the last 30 days: opening and closing balance, every movement."""
    today = platform.clock.now().astimezone(UTC).date()
    until = datetime.combine(today + timedelta(days=1), time(), tzinfo=UTC)
    since = until - timedelta(days=STATEMENT_DAYS)
    shops = catalog_queries.shops_of_user(platform.uow(readonly=True), actor.user_id)
    found = [
        (
            shop,
            ledger_queries.statement(
                platform.uow(readonly=True),
                actor,
                Account.MERCHANT_PAYABLES,
                shop.id,
                since,
                until,
            ),
        )
        for shop in shops
    ]
    return render(request, "merchant/statements.html", actor=actor, statements=found)

"""The consumer's shopping pages: buy now, cart and checkout, my orders with tracking, paying,
confirming receipt, after-sales requests, reviews and complaints. Every action is one service
call; the services check that the order is the buyer's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from xingqu.aftersales import queries as aftersales_queries
from xingqu.aftersales import returns as aftersales_returns
from xingqu.aftersales import services as aftersales
from xingqu.aftersales.rules import ReasonCode, RequestKind
from xingqu.api.deps import PlatformDep
from xingqu.catalog import services as catalog
from xingqu.discovery import services as discovery
from xingqu.shared.access import Actor, Role
from xingqu.shared.errors import DomainError
from xingqu.shared.paging import PageRequest
from xingqu.trade import queries as trade_queries
from xingqu.trade import services as trade
from xingqu.web import forms
from xingqu.web.rendering import done_redirect, render
from xingqu.web.session import VerifiedForm, require_role

router = APIRouter(include_in_schema=False)

Consumer = Annotated[Actor, Depends(require_role(Role.CONSUMER))]
Buyer = Consumer

ORDERS_PAGE = 20
KINDS = tuple(str(k) for k in RequestKind)
REASONS = tuple(str(r) for r in ReasonCode)


@dataclass(frozen=True, slots=True)
class CartRow:
    sku_id: int
    product_id: int
    title: str
    sku_name: str
    unit_price_fen: int
    quantity: int
    content_id: int | None


# --- buying -------------------------------------------------------------------------------------


@router.post("/orders")
def buy_now(platform: PlatformDep, actor: Consumer, form: VerifiedForm) -> Response:
    """One SKU of a product page, bought at once (the content that led here is kept)."""
    cmd = trade.PlaceOrder(
        lines=[
            trade.OrderLineSpec(
                forms.integer(form, "sku_id"),
                forms.integer(form, "quantity", low=1, high=99),
                forms.optional_integer(form, "content_id"),
            )
        ],
        idempotency_key=forms.idempotency_key(form),
        address=forms.text(form, "address", required=False, max_length=300),
    )
    order = trade.place_order(platform.uow(), actor, cmd, terms=platform.settings.trade)
    return done_redirect(f"/orders/{order.id}", "ordered")


@router.post("/cart/items")
def add_to_cart(platform: PlatformDep, actor: Consumer, form: VerifiedForm) -> Response:
    trade.add_to_cart(
        platform.uow(),
        actor,
        forms.integer(form, "sku_id"),
        forms.integer(form, "quantity", low=1, high=99),
        forms.optional_integer(form, "content_id"),
    )
    return done_redirect("/cart", "added")


@router.post("/cart/items/{sku_id}/remove")
def remove_from_cart(
    sku_id: int, platform: PlatformDep, actor: Consumer, form: VerifiedForm
) -> Response:
    trade.remove_from_cart(platform.uow(), actor, sku_id)
    return done_redirect("/cart", "removed")


@router.get("/cart", response_class=HTMLResponse)
def cart_page(request: Request, platform: PlatformDep, actor: Consumer) -> Response:
    lines = trade_queries.get_cart(platform.uow(readonly=True), actor)
    rows: list[CartRow] = []
    unavailable: list[int] = []
    with platform.uow(readonly=True) as uow:
        for line in lines:
            try:
                sku = catalog.sellable_sku(uow, line.sku_id)
            except DomainError:  # no longer on sale: shown so the buyer can remove it
                unavailable.append(line.sku_id)
                continue
            rows.append(
                CartRow(
                    line.sku_id,
                    sku.product_id,
                    sku.title,
                    sku.sku_name,
                    sku.unit_price.amount,
                    line.quantity,
                    line.content_id,
                )
            )
    return render(
        request,
        "consumer/cart.html",
        actor=actor,
        rows=rows,
        unavailable=unavailable,
        total_fen=sum(r.unit_price_fen * r.quantity for r in rows),
        key=forms.new_key(),
    )


@router.post("/cart/checkout")
def checkout(platform: PlatformDep, actor: Consumer, form: VerifiedForm) -> Response:
    trade.checkout(
        platform.uow(),
        actor,
        forms.idempotency_key(form),
        forms.text(form, "address", required=False, max_length=300),
        terms=platform.settings.trade,
    )
    return done_redirect("/orders", "checked_out")


# --- my orders ----------------------------------------------------------------------------------


@router.get("/orders", response_class=HTMLResponse)
def my_orders(
    request: Request,
    platform: PlatformDep,
    actor: Buyer,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    page = trade_queries.list_orders(
        platform.uow(readonly=True), actor, PageRequest(limit=ORDERS_PAGE, offset=offset)
    )
    return render(request, "consumer/orders.html", actor=actor, page=page)


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order_page(order_id: int, request: Request, platform: PlatformDep, actor: Buyer) -> Response:
    """The order with its tracking and after-sales requests (its buyer only on this page)."""
    order = trade_queries.get_order(platform.uow(readonly=True), actor, order_id)
    if order.buyer_id != actor.user_id:
        return RedirectResponse(f"/merchant/orders/{order_id}", status_code=303)
    tracking = trade_queries.tracking(platform.uow(readonly=True), actor, order_id)
    requests = aftersales_queries.list_requests(
        platform.uow(readonly=True), actor, PageRequest(limit=50), order_id=order_id
    )
    return render(
        request,
        "consumer/order.html",
        actor=actor,
        order=order,
        tracking=tracking,
        requests=requests.items,
        kinds=KINDS,
        reasons=REASONS,
        key=forms.new_key(),
    )


@router.post("/orders/{order_id}/pay")
def pay(order_id: int, platform: PlatformDep, actor: Buyer, form: VerifiedForm) -> Response:
    trade.pay_order(
        platform.uow(),
        actor,
        order_id,
        forms.idempotency_key(form),
        payments=platform.payments,
        terms=platform.settings.trade,
    )
    return done_redirect(f"/orders/{order_id}", "paid")


@router.post("/orders/{order_id}/cancel")
def cancel(order_id: int, platform: PlatformDep, actor: Buyer, form: VerifiedForm) -> Response:
    trade.cancel_order(platform.uow(), actor, order_id, "buyer", payments=platform.payments)
    return done_redirect(f"/orders/{order_id}", "cancelled")


@router.post("/orders/{order_id}/confirm")
def confirm(order_id: int, platform: PlatformDep, actor: Buyer, form: VerifiedForm) -> Response:
    trade.confirm_receipt(platform.uow(), actor, order_id)
    return done_redirect(f"/orders/{order_id}", "confirmed")


@router.post("/orders/{order_id}/aftersales")
def request_aftersales(
    order_id: int, platform: PlatformDep, actor: Buyer, form: VerifiedForm
) -> Response:
    """A refund, a return or an exchange (a refund before shipping may be instant)."""
    cmd = aftersales.OpenRequest(
        order_id=order_id,
        kind=forms.choice(form, "kind", KINDS),
        reason_code=forms.choice(form, "reason_code", REASONS),
        amount_fen=forms.fen(form, "amount"),
        idempotency_key=forms.idempotency_key(form),
        description=forms.text(form, "description", required=False, max_length=1_000),
    )
    request = aftersales.open_request(
        platform.uow(), actor, cmd, payments=platform.payments, terms=platform.settings.trade
    )
    return done_redirect(f"/aftersales/{request.id}", "requested")


@router.post("/orders/{order_id}/feedback")
def feedback(order_id: int, platform: PlatformDep, actor: Buyer, form: VerifiedForm) -> Response:
    """A review (1–5 stars) or a complaint about a product of the order, into the behaviour log."""
    order = trade_queries.get_order(platform.uow(readonly=True), actor, order_id)
    product_id = forms.integer(form, "product_id")
    if product_id not in {line.product_id for line in order.lines}:
        raise forms.refuse("product_id", "not a product of this order")
    action = forms.choice(form, "action", ("review", "complaint"))
    stars = float(forms.integer(form, "stars", low=1, high=5)) if action == "review" else 0.0
    discovery.record_behaviour(
        platform.uow(),
        actor,
        discovery.RecordBehaviour(action, product_id=product_id, value=stars),
    )
    return done_redirect(f"/orders/{order_id}", action)


# --- after-sales requests ----------------------------------------------------------------------


@router.get("/aftersales/{request_id}", response_class=HTMLResponse)
def aftersales_page(
    request_id: int, request: Request, platform: PlatformDep, actor: Buyer
) -> Response:
    found = aftersales_queries.get_request(platform.uow(readonly=True), actor, request_id)
    if found.buyer_id != actor.user_id:
        return RedirectResponse(f"/merchant/aftersales/{request_id}", status_code=303)
    return render(request, "consumer/aftersales.html", actor=actor, req=found)


@router.post("/aftersales/{request_id}/withdraw")
def withdraw(request_id: int, platform: PlatformDep, actor: Buyer, form: VerifiedForm) -> Response:
    aftersales.withdraw_request(platform.uow(), actor, request_id)
    return done_redirect(f"/aftersales/{request_id}", "withdrawn")


@router.post("/aftersales/{request_id}/escalate")
def escalate(request_id: int, platform: PlatformDep, actor: Buyer, form: VerifiedForm) -> Response:
    note = forms.text(form, "note", max_length=500)
    aftersales.escalate_request(platform.uow(), actor, request_id, note)
    return done_redirect(f"/aftersales/{request_id}", "escalated")


@router.post("/aftersales/{request_id}/return")
def ship_return(
    request_id: int, platform: PlatformDep, actor: Buyer, form: VerifiedForm
) -> Response:
    aftersales_returns.ship_return(
        platform.uow(),
        actor,
        request_id,
        forms.text(form, "carrier", max_length=40),
        forms.text(form, "tracking_no", max_length=64),
        terms=platform.settings.trade,
    )
    return done_redirect(f"/aftersales/{request_id}", "returned")

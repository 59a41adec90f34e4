"""The cart, orders, payment and fulfilment.

Every request that creates something costly (`POST /orders`, `POST /cart/checkout`,
`POST /orders/{id}/pay`, and `POST /orders/{id}/refunds` in after-sales) needs an
`Idempotency-Key` header: 1–64 characters of A–Z a–z 0–9 _ . : -. Sending the same request again
with the same key returns the first result and changes nothing more.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, status
from pydantic import Field

from xingqu.api.deps import CurrentActor, IdempotencyKey, PageDep, PlatformDep
from xingqu.api.schemas import ERRORS, PageOf, Public, Strict
from xingqu.trade import queries, services
from xingqu.trade.deadlines import ReturnPolicy, ShipPromise
from xingqu.trade.promises import SetProductTerms, product_promise, set_product_terms
from xingqu.trade.rules import (
    MAX_ADDRESS,
    MAX_CARRIER,
    MAX_DEVICE_ID,
    MAX_INSTRUMENT,
    MAX_LINES,
    MAX_QUANTITY,
    MAX_REASON,
    MAX_SHIP_WITHIN_HOURS,
    MAX_TRACKING_NO,
    TrackingKind,
)
from xingqu.trade.terms import InsuranceTier

router = APIRouter(tags=["trade"], responses=ERRORS)  # type: ignore[arg-type]

DeviceId = Annotated[
    str | None,
    Header(
        alias="X-Device-Id",
        min_length=1,
        max_length=MAX_DEVICE_ID,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="the buyer's device, as the client identifies it (optional)",
    ),
]


class CartItemCreate(Strict):
    sku_id: int
    quantity: int = Field(default=1, ge=1, le=MAX_QUANTITY)
    content_id: int | None = Field(default=None, description="the content that led here")


class CartLinePublic(Public):
    sku_id: int
    quantity: int
    content_id: int | None
    added_at: datetime
    updated_at: datetime


class CartPublic(Public):
    lines: list[CartLinePublic]


class CheckoutCreate(Strict):
    address: str = Field(default="", max_length=MAX_ADDRESS)


class OrderLineCreate(Strict):
    sku_id: int
    quantity: int = Field(default=1, ge=1, le=MAX_QUANTITY)
    content_id: int | None = None


class OrderCreate(Strict):
    lines: list[OrderLineCreate] = Field(min_length=1, max_length=MAX_LINES)
    address: str = Field(default="", max_length=MAX_ADDRESS)


class PaymentCreate(Strict):
    instrument: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_INSTRUMENT,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="the payment instrument to charge; the buyer's default one when absent",
    )


class OrderCancel(Strict):
    reason: str = Field(default="buyer", min_length=1, max_length=MAX_REASON)


class ShipmentCreate(Strict):
    carrier: str = Field(min_length=1, max_length=MAX_CARRIER)
    tracking_no: str = Field(min_length=1, max_length=MAX_TRACKING_NO)


class OrderLinePublic(Public):
    sku_id: int
    product_id: int
    title: str
    sku_name: str
    quantity: int
    unit_price_fen: int
    content_id: int | None
    ship_promise: str
    ship_within_hours: int
    return_policy: str


class PaymentPublic(Public):
    id: int
    order_id: int
    amount_fen: int
    currency: str
    status: str
    refunded_fen: int
    provider_reference: str
    instrument: str | None
    paid_at: datetime


class ShipmentPublic(Public):
    carrier: str
    tracking_no: str
    shipped_at: datetime
    delivered_at: datetime | None


class OrderPublic(Public):
    id: int
    buyer_id: int
    shop_id: int
    status: str
    total_fen: int
    currency: str
    address: str
    device_id: str | None
    cancel_reason: str | None
    placed_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    refunded_at: datetime | None
    ship_by: datetime | None
    instant_refund: bool
    insurance_tier: str
    completed_by: str | None
    settled_at: datetime | None
    open_requests: int
    lines: list[OrderLinePublic]
    payment: PaymentPublic | None
    shipment: ShipmentPublic | None


@router.get("/cart")
def get_cart(actor: CurrentActor, platform: PlatformDep) -> CartPublic:
    lines = queries.get_cart(platform.uow(readonly=True), actor)
    return CartPublic(lines=[CartLinePublic.model_validate(line) for line in lines])


@router.post("/cart/items", status_code=status.HTTP_201_CREATED)
def add_to_cart(body: CartItemCreate, actor: CurrentActor, platform: PlatformDep) -> CartLinePublic:
    """Add units of a SKU on sale (to its line if the cart has one)."""
    line = services.add_to_cart(platform.uow(), actor, body.sku_id, body.quantity, body.content_id)
    return CartLinePublic.model_validate(line)


@router.delete("/cart/items/{sku_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_from_cart(sku_id: int, actor: CurrentActor, platform: PlatformDep) -> None:
    services.remove_from_cart(platform.uow(), actor, sku_id)


@router.post("/cart/checkout", status_code=status.HTTP_201_CREATED)
def checkout(
    body: CheckoutCreate,
    key: IdempotencyKey,
    actor: CurrentActor,
    platform: PlatformDep,
    device_id: DeviceId = None,
) -> list[OrderPublic]:
    """One order per shop from the cart, which is emptied."""
    orders = services.checkout(
        platform.uow(),
        actor,
        key,
        body.address,
        device_id=device_id,
        terms=platform.settings.trade,
    )
    return [OrderPublic.model_validate(o) for o in orders]


@router.post("/orders", status_code=status.HTTP_201_CREATED)
def place_order(
    body: OrderCreate,
    key: IdempotencyKey,
    actor: CurrentActor,
    platform: PlatformDep,
    device_id: DeviceId = None,
) -> OrderPublic:
    """Buy now: SKUs of one shop, stock reserved until the order is paid or cancelled."""
    cmd = services.PlaceOrder(
        lines=[services.OrderLineSpec(ln.sku_id, ln.quantity, ln.content_id) for ln in body.lines],
        idempotency_key=key,
        address=body.address,
        device_id=device_id,
    )
    order = services.place_order(platform.uow(), actor, cmd, terms=platform.settings.trade)
    return OrderPublic.model_validate(order)


@router.get("/orders")
def list_orders(
    actor: CurrentActor,
    platform: PlatformDep,
    page: PageDep,
    as_merchant: Annotated[
        bool, Query(description="the orders of your shops instead of yours")
    ] = False,
    status_: Annotated[str | None, Query(alias="status")] = None,
) -> PageOf[OrderPublic]:
    result = queries.list_orders(
        platform.uow(readonly=True), actor, page, as_merchant=as_merchant, status=status_
    )
    return PageOf[OrderPublic](
        items=[OrderPublic.model_validate(o) for o in result.items],
        total=result.total,
        limit=result.limit,
        offset=result.offset,
    )


@router.get("/orders/{order_id}")
def get_order(order_id: int, actor: CurrentActor, platform: PlatformDep) -> OrderPublic:
    """For the buyer, the shop's merchant and operators."""
    return OrderPublic.model_validate(
        queries.get_order(platform.uow(readonly=True), actor, order_id)
    )


@router.post("/orders/{order_id}/pay")
def pay_order(
    order_id: int,
    key: IdempotencyKey,
    actor: CurrentActor,
    platform: PlatformDep,
    body: PaymentCreate | None = None,
) -> PaymentPublic:
    payment = services.pay_order(
        platform.uow(),
        actor,
        order_id,
        key,
        payments=platform.payments,
        instrument=body.instrument if body is not None else None,
        terms=platform.settings.trade,
    )
    return PaymentPublic.model_validate(payment)


@router.post("/orders/{order_id}/cancel")
def cancel_order(
    order_id: int, actor: CurrentActor, platform: PlatformDep, body: OrderCancel | None = None
) -> OrderPublic:
    """The buyer cancels an unpaid order; an operator also a paid one (refunded in full)."""
    reason = body.reason if body is not None else "buyer"
    order = services.cancel_order(
        platform.uow(), actor, order_id, reason, payments=platform.payments
    )
    return OrderPublic.model_validate(order)


@router.post("/orders/{order_id}/ship")
def ship_order(
    order_id: int, body: ShipmentCreate, actor: CurrentActor, platform: PlatformDep
) -> OrderPublic:
    """The shop's merchant."""
    order = services.ship_order(
        platform.uow(),
        actor,
        order_id,
        body.carrier,
        body.tracking_no,
        terms=platform.settings.trade,
    )
    return OrderPublic.model_validate(order)


@router.post("/orders/{order_id}/deliver")
def mark_delivered(order_id: int, actor: CurrentActor, platform: PlatformDep) -> OrderPublic:
    """The carrier's callback, through an operator account."""
    return OrderPublic.model_validate(services.mark_delivered(platform.uow(), actor, order_id))


@router.post("/orders/{order_id}/confirm")
def confirm_receipt(order_id: int, actor: CurrentActor, platform: PlatformDep) -> OrderPublic:
    """The buyer confirms receipt: the order is completed."""
    return OrderPublic.model_validate(services.confirm_receipt(platform.uow(), actor, order_id))


class TrackingCreate(Strict):
    kind: TrackingKind
    location: str = Field(default="", max_length=120)
    note: str = Field(default="", max_length=200)
    occurred_at: datetime | None = Field(default=None, description="the scan's time (default: now)")


class TrackingPublic(Public):
    id: int
    order_id: int
    kind: str
    location: str
    note: str
    occurred_at: datetime
    recorded_at: datetime


class TermsUpdate(Strict):
    ship_promise: ShipPromise = ShipPromise.WITHIN_HOURS
    ship_within_hours: int = Field(default=48, ge=1, le=MAX_SHIP_WITHIN_HOURS)
    return_policy: ReturnPolicy = ReturnPolicy.STANDARD
    instant_refund: bool = True
    insurance_tier: InsuranceTier = InsuranceTier.NONE


class TermsPublic(Public):
    ship_promise: str
    ship_within_hours: int
    return_policy: str
    instant_refund: bool
    insurance_tier: str


class CouponPublic(Public):
    id: int
    order_id: int
    shop_id: int
    kind: str
    amount_fen: int
    currency: str
    issued_at: datetime


@router.post("/orders/{order_id}/tracking", status_code=status.HTTP_201_CREATED)
def record_tracking(
    order_id: int, body: TrackingCreate, actor: CurrentActor, platform: PlatformDep
) -> TrackingPublic:
    """A carrier scan, through an operator account; a `delivered` scan delivers the order."""
    event = services.record_tracking(
        platform.uow(),
        actor,
        order_id,
        body.kind,
        location=body.location,
        note=body.note,
        occurred_at=body.occurred_at,
    )
    return TrackingPublic.model_validate(event)


@router.get("/orders/{order_id}/tracking")
def list_tracking(
    order_id: int, actor: CurrentActor, platform: PlatformDep
) -> list[TrackingPublic]:
    events = queries.tracking(platform.uow(readonly=True), actor, order_id)
    return [TrackingPublic.model_validate(e) for e in events]


@router.post("/orders/{order_id}/out-of-stock")
def cancel_out_of_stock(order_id: int, actor: CurrentActor, platform: PlatformDep) -> OrderPublic:
    """The shop cannot fill a paid order: refunded in full, and the buyer gets a coupon."""
    order = services.cancel_out_of_stock(
        platform.uow(), actor, order_id, payments=platform.payments, terms=platform.settings.trade
    )
    return OrderPublic.model_validate(order)


@router.get("/coupons")
def list_coupons(actor: CurrentActor, platform: PlatformDep) -> list[CouponPublic]:
    """The buyer's compensation coupons (late shipment, out of stock, fake shipping)."""
    coupons = queries.my_coupons(platform.uow(readonly=True), actor)
    return [CouponPublic.model_validate(c) for c in coupons]


@router.get("/products/{product_id}/terms")
def get_product_terms(product_id: int, actor: CurrentActor, platform: PlatformDep) -> TermsPublic:
    """What the shop promises on the product (the platform default where it set none)."""
    promise = product_promise(platform.uow(readonly=True), product_id, platform.settings.trade)
    return TermsPublic.model_validate(promise)


@router.put("/products/{product_id}/terms")
def put_product_terms(
    product_id: int, body: TermsUpdate, actor: CurrentActor, platform: PlatformDep
) -> TermsPublic:
    """The shop's merchant sets the product's promises; orders placed from now on carry them."""
    row = set_product_terms(
        platform.uow(),
        actor,
        SetProductTerms(
            product_id=product_id,
            ship_promise=body.ship_promise,
            ship_within_hours=body.ship_within_hours,
            return_policy=body.return_policy,
            instant_refund=body.instant_refund,
            insurance_tier=body.insurance_tier,
        ),
    )
    return TermsPublic.model_validate(row)

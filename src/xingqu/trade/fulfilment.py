"""Fulfilment use cases: the shop ships, the carrier scans and delivers, the buyer confirms; the
shop cancels a paid order it cannot fill.

Shipping after the order's ship-by deadline earns the buyer a late-shipment coupon (if the
timer has not issued it already); cancelling for lack of stock refunds the order in full and
earns an out-of-stock coupon. Carrier scans are reported through an operator account; a repeated
scan (same kind and time) is recorded once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from xingqu.shared.access import Actor, Role
from xingqu.shared.errors import conflict, invalid
from xingqu.store.uow import UnitOfWork
from xingqu.trade import events
from xingqu.trade.cancellation import cancel
from xingqu.trade.compensation import issue_compensation
from xingqu.trade.deadlines import passed
from xingqu.trade.errors import TradeError
from xingqu.trade.lifecycle import move, order_for_update, require_buyer, require_shop_merchant
from xingqu.trade.models import Order, Shipment, TrackingEvent
from xingqu.trade.payments import PaymentProvider
from xingqu.trade.rules import (
    OrderStatus,
    TrackingKind,
    check_transition,
    parse_choice,
    validate_shipment,
)
from xingqu.trade.terms import DEFAULT_TERMS, CompensationKind, Terms

MAX_LOCATION = 120
MAX_NOTE = 200


def ship_order(
    uow: UnitOfWork,
    actor: Actor,
    order_id: int,
    carrier: str,
    tracking_no: str,
    *,
    terms: Terms = DEFAULT_TERMS,
) -> Order:
    """The shop's merchant hands a paid order to a carrier."""
    validate_shipment(carrier, tracking_no)
    with uow:
        order = order_for_update(uow, order_id)
        require_shop_merchant(uow, actor, order)
        move(uow, order, OrderStatus.SHIPPED)
        now = uow.clock.now()
        order.shipment = Shipment(
            carrier=carrier.strip(), tracking_no=tracking_no.strip(), shipped_at=now
        )
        if order.ship_by is not None and passed(order.ship_by, now):
            issue_compensation(uow, order, CompensationKind.LATE_SHIPMENT, terms)
        uow.emit(
            events.OrderShipped(
                order_id=order.id,
                shop_id=order.shop_id,
                carrier=order.shipment.carrier,
                tracking_no=order.shipment.tracking_no,
            )
        )
        uow.commit()
        return order


def record_tracking(
    uow: UnitOfWork,
    actor: Actor,
    order_id: int,
    kind: str,
    *,
    location: str = "",
    note: str = "",
    occurred_at: datetime | None = None,
) -> TrackingEvent:
    """A carrier scan of a shipped order's parcel (through an operator account). A `delivered`
    scan delivers the order. The same scan reported again returns the first record."""
    actor.require(Role.OPERATOR)
    scan = parse_choice(TrackingKind, kind, "tracking event")
    if len(location) > MAX_LOCATION or len(note) > MAX_NOTE:
        raise invalid(
            TradeError.INVALID_TRACKING,
            f"a location is at most {MAX_LOCATION} characters, a note at most {MAX_NOTE}",
        )
    if occurred_at is not None and occurred_at.tzinfo is None:
        raise invalid(TradeError.INVALID_TRACKING, "a scan time needs a time zone")
    with uow:
        order = order_for_update(uow, order_id)
        now = uow.clock.now()
        at = occurred_at or now
        if order.shipment is None:
            raise conflict(TradeError.NOT_SHIPPED, f"order {order.id} has no shipment to track yet")
        if at > now or (order.paid_at is not None and at < order.paid_at):
            raise invalid(
                TradeError.INVALID_TRACKING, "a scan happens after payment and not in the future"
            )
        existing = uow.session.scalar(
            select(TrackingEvent).where(
                TrackingEvent.order_id == order.id,
                TrackingEvent.kind == scan,
                TrackingEvent.occurred_at == at,
            )
        )
        if existing is not None:
            return existing
        event = TrackingEvent(
            order_id=order.id,
            kind=scan,
            location=location.strip(),
            note=note.strip(),
            occurred_at=at,
            recorded_at=now,
        )
        uow.session.add(event)
        uow.emit(events.TrackingRecorded(order_id=order.id, kind=scan, location=event.location))
        if scan == TrackingKind.DELIVERED and order.status == OrderStatus.SHIPPED:
            _deliver(uow, order)
        uow.commit()
        return event


def mark_delivered(uow: UnitOfWork, actor: Actor, order_id: int) -> Order:
    """The carrier's callback (through an operator account) says the parcel arrived."""
    actor.require(Role.OPERATOR)
    with uow:
        order = order_for_update(uow, order_id)
        _deliver(uow, order)
        uow.commit()
        return order


def confirm_receipt(uow: UnitOfWork, actor: Actor, order_id: int) -> Order:
    """The buyer confirms a delivered order: it is completed."""
    with uow:
        order = order_for_update(uow, order_id)
        require_buyer(actor, order)
        complete(uow, order, "buyer")
        uow.commit()
        return order


def cancel_out_of_stock(
    uow: UnitOfWork,
    actor: Actor,
    order_id: int,
    *,
    payments: PaymentProvider,
    terms: Terms = DEFAULT_TERMS,
) -> Order:
    """The shop cannot fill a paid order: it is cancelled and refunded in full, and the buyer gets
    an out-of-stock coupon funded by the merchant."""
    with uow:
        order = order_for_update(uow, order_id)
        require_shop_merchant(uow, actor, order)
        if order.status != OrderStatus.PAID:
            check_transition(OrderStatus(order.status), OrderStatus.SHIPPED)  # says why
            raise conflict(
                TradeError.CANCEL_NOT_ALLOWED,
                "only a paid order that has not shipped can be cancelled for lack of stock",
            )
        issue_compensation(uow, order, CompensationKind.OUT_OF_STOCK, terms)
        cancel(uow, order, "out_of_stock", payments)
        uow.commit()
        return order


def complete(uow: UnitOfWork, order: Order, by: str) -> None:
    """A locked, delivered order is completed (by the buyer, or by the timer)."""
    move(uow, order, OrderStatus.COMPLETED)
    order.completed_by = by
    uow.emit(events.OrderCompleted(order_id=order.id, buyer_id=order.buyer_id))


def _deliver(uow: UnitOfWork, order: Order) -> None:
    move(uow, order, OrderStatus.DELIVERED)
    if order.shipment is not None:
        order.shipment.delivered_at = order.delivered_at
    uow.emit(events.OrderDelivered(order_id=order.id))

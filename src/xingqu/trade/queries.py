"""Trade read side. Access as in `services`: a missing order is `trade.order_not_found`, someone
else's order is `shared.forbidden`.

Facts for the platform's own jobs (participant calls, no access check; see the section at the end):

- `order_links(uow, since=, until=)`: per order placed in the window — order, shop, buyer, placed
  at, address, device id, payment instrument (the brushing detector's buyer–seller graph).
- `pickup_times(...)`: per shop, per order paid in the window, payment → first carrier `picked_up`
  scan (or the shipment when no scan came first).
- `shipping_punctuality(...)`: per shop, orders whose `ship_by` fell in the window: due, on time.
- `delivery_punctuality(...)`: per shop, shipments whose delivery was due in the window
  (shipped + `Terms.deliver_within_hours`): due, signed for on time.
- `order_counts(...)`: per shop, orders paid and orders signed for in the window (denominators).
- `fulfilment_facts(uow, since=, until=)`: per order placed in the window — buyer, shop, status,
  amount, placed/paid/ship-by/shipped/delivered times, refunded amount, address, device,
  instrument, product ids and carrier scans (governance's shop-risk detectors).
- `paid_order_lines(uow)`: every paid order in payment order with its lines' products
  and amounts (insight's quality-GMV figures).

After-sales handling time and its SLA rate, quality returns and customer-service first-response
times are in `aftersales.queries`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import Select, func, or_, select

from xingqu.catalog import queries as catalog_queries
from xingqu.catalog import services as catalog
from xingqu.shared.access import Actor, Role
from xingqu.shared.clock import as_utc
from xingqu.shared.errors import forbidden, invalid, not_found
from xingqu.shared.paging import Page, PageRequest
from xingqu.store.paging import count_rows, fetch_page
from xingqu.store.uow import UnitOfWork
from xingqu.trade.deadlines import delivery_due
from xingqu.trade.errors import TradeError
from xingqu.trade.models import (
    CartLine,
    CompensationCoupon,
    Order,
    OrderLine,
    Payment,
    Shipment,
    TrackingEvent,
)
from xingqu.trade.rules import OrderStatus, TrackingKind
from xingqu.trade.terms import DEFAULT_TERMS, Terms

Q = TypeVar("Q", bound=Select)


def get_order(uow: UnitOfWork, actor: Actor, order_id: int) -> Order:
    """The order, for its buyer, its shop's merchant or an operator."""
    with uow:
        order = uow.session.get(Order, order_id)
        if order is None:
            raise not_found(TradeError.ORDER_NOT_FOUND, "order", order_id)
        if not (
            actor.is_operator
            or order.buyer_id == actor.user_id
            or catalog.owns_shop(uow, actor, order.shop_id)
        ):
            raise forbidden("this order is neither yours nor your shop's")
        return order


def list_orders(
    uow: UnitOfWork,
    actor: Actor,
    page: PageRequest,
    *,
    as_merchant: bool = False,
    status: str | None = None,
) -> Page[Order]:
    """The actor's own orders, or with `as_merchant` the orders of the actor's shops; newest first."""
    where = []
    if status is not None:
        try:
            where.append(Order.status == OrderStatus(status))
        except ValueError:
            raise invalid(
                TradeError.INVALID_FILTER,
                f"unknown order status {status!r}; use one of {', '.join(OrderStatus)}",
            ) from None
    if as_merchant:
        actor.require(Role.MERCHANT)
        shop_ids = [shop.id for shop in catalog_queries.shops_of_user(uow, actor.user_id)]
        where.append(Order.shop_id.in_(shop_ids))
    else:
        where.append(Order.buyer_id == actor.user_id)
    with uow:
        s = uow.session
        return fetch_page(s, Order, where, [Order.id.desc()], page)


def get_cart(uow: UnitOfWork, actor: Actor) -> list[CartLine]:
    """The actor's cart lines, oldest first."""
    with uow:
        return list(
            uow.session.scalars(
                select(CartLine)
                .where(CartLine.buyer_id == actor.user_id)
                .order_by(CartLine.added_at, CartLine.id)
            )
        )


@dataclass(frozen=True, slots=True)
class OrderTotals:
    orders: int  # placed, whatever became of them
    paid_fen: int  # paid, before refunds
    refunded_fen: int


def order_totals(uow: UnitOfWork) -> OrderTotals:
    """Platform-wide order and payment totals (runs inside the caller's transaction)."""
    uow.require_active()
    paid, refunded = uow.session.execute(
        select(
            func.coalesce(func.sum(Payment.amount_fen), 0),
            func.coalesce(func.sum(Payment.refunded_fen), 0),
        )
    ).one()
    return OrderTotals(count_rows(uow.session, Order), int(paid), int(refunded))


# --- facts other contexts read by shop and time window (governance: brushing, experience score) --
#
# Participant calls: they run inside the caller's active unit of work (read-only is fine) and check
# no access, so they are for the platform's own jobs, never for a request's actor. Windows are
# half-open, [since, until), in UTC. `shop_ids=None` means every shop.


@dataclass(frozen=True, slots=True)
class OrderLink:
    """What links a buyer to a seller: for the buyer–seller graph over shared device, address and
    payment instrument. `instrument` is None while the order is unpaid."""

    order_id: int
    shop_id: int
    buyer_id: int
    placed_at: datetime
    address: str
    device_id: str | None
    instrument: str | None


def order_links(uow: UnitOfWork, *, since: datetime, until: datetime) -> list[OrderLink]:
    """Every order placed in [since, until), oldest first."""
    uow.require_active()
    check_window(since, until)
    rows = uow.session.execute(
        select(
            Order.id,
            Order.shop_id,
            Order.buyer_id,
            Order.placed_at,
            Order.address,
            Order.device_id,
            Payment.instrument,
        )
        .outerjoin(Payment, Payment.order_id == Order.id)
        .where(Order.placed_at >= since, Order.placed_at < until)
        .order_by(Order.placed_at, Order.id)
    )
    return [OrderLink(*row) for row in rows]


@dataclass(frozen=True, slots=True)
class PickupTime:
    """Pickup time of one order: payment → the carrier's first `picked_up` scan, or the shipment
    when the carrier reported no pickup scan before it. The experience score bands it per order
    (and starts the clock at 06:00 for orders paid 18:00–06:00), so rows are per order."""

    order_id: int
    shop_id: int
    paid_at: datetime
    picked_up_at: datetime

    @property
    def hours(self) -> float:
        return (self.picked_up_at - self.paid_at).total_seconds() / 3600


def pickup_times(
    uow: UnitOfWork,
    *,
    since: datetime,
    until: datetime,
    shop_ids: Collection[int] | None = None,
) -> dict[int, list[PickupTime]]:
    """shop → pickup times of its orders paid in [since, until) that were picked up or shipped
    (orders not picked up yet have no pickup time and are left out)."""
    uow.require_active()
    check_window(since, until)
    first_scan = (
        select(TrackingEvent.order_id, func.min(TrackingEvent.occurred_at).label("at"))
        .where(TrackingEvent.kind == TrackingKind.PICKED_UP)
        .group_by(TrackingEvent.order_id)
        .subquery()
    )
    query = (
        select(Order.id, Order.shop_id, Order.paid_at, Order.shipped_at, first_scan.c.at)
        .outerjoin(first_scan, first_scan.c.order_id == Order.id)
        .where(Order.paid_at >= since, Order.paid_at < until)
        .where(or_(Order.shipped_at.is_not(None), first_scan.c.at.is_not(None)))
        .order_by(Order.id)
    )
    query = for_shops(query, Order.shop_id, shop_ids)
    out: dict[int, list[PickupTime]] = {}
    for order_id, shop_id, paid_at, shipped_at, scanned_at in uow.session.execute(query):
        stamps = [as_utc(t) for t in (shipped_at, scanned_at) if t is not None]
        picked = as_utc(scanned_at) if scanned_at is not None else min(stamps)
        out.setdefault(shop_id, []).append(PickupTime(order_id, shop_id, as_utc(paid_at), picked))
    return out


@dataclass(frozen=True, slots=True)
class Punctuality:
    """Of the orders whose deadline fell in the window, how many were met. An order whose deadline
    has not passed yet and was not met yet is not due; a met deadline counts as soon as met."""

    due: int
    on_time: int

    @property
    def rate(self) -> float | None:
        return self.on_time / self.due if self.due else None


def shipping_punctuality(
    uow: UnitOfWork,
    *,
    since: datetime,
    until: datetime,
    shop_ids: Collection[int] | None = None,
) -> dict[int, Punctuality]:
    """shop → on-time shipping vs `ship_by`, over paid orders whose ship-by deadline falls in
    [since, until). Orders cancelled or refunded before shipping and before the deadline are not
    due; shipped after the deadline, or still unshipped after it, is late."""
    uow.require_active()
    check_window(since, until)
    now = uow.clock.now()
    query = select(
        Order.shop_id, Order.ship_by, Order.shipped_at, Order.cancelled_at, Order.refunded_at
    ).where(Order.ship_by >= since, Order.ship_by < until)
    query = for_shops(query, Order.shop_id, shop_ids)
    counts: dict[int, list[int]] = {}
    for shop_id, ship_by, shipped_at, cancelled_at, refunded_at in uow.session.execute(query):
        if ship_by is None:
            continue
        deadline = as_utc(ship_by)
        ended = min((as_utc(t) for t in (cancelled_at, refunded_at) if t is not None), default=None)
        if shipped_at is not None:
            on_time = as_utc(shipped_at) <= deadline
        elif ended is not None and ended <= deadline:
            continue  # stopped before it was due
        elif now <= deadline:
            continue  # not due yet
        else:
            on_time = False
        tally = counts.setdefault(shop_id, [0, 0])
        tally[0] += 1
        tally[1] += int(on_time)
    return {shop: Punctuality(due, ok) for shop, (due, ok) in sorted(counts.items())}


def delivery_punctuality(
    uow: UnitOfWork,
    *,
    since: datetime,
    until: datetime,
    terms: Terms = DEFAULT_TERMS,
    shop_ids: Collection[int] | None = None,
) -> dict[int, Punctuality]:
    """shop → on-time delivery: of the shipments whose delivery was due (shipped +
    `deliver_within_hours`) in [since, until), those signed for by then."""
    uow.require_active()
    check_window(since, until)
    now = uow.clock.now()
    span = timedelta(hours=terms.deliver_within_hours)
    query = (
        select(Order.shop_id, Shipment.shipped_at, Shipment.delivered_at)
        .join(Shipment, Shipment.order_id == Order.id)
        .where(Shipment.shipped_at >= since - span, Shipment.shipped_at < until - span)
    )
    query = for_shops(query, Order.shop_id, shop_ids)
    counts: dict[int, list[int]] = {}
    for shop_id, shipped_at, delivered_at in uow.session.execute(query):
        due = delivery_due(as_utc(shipped_at), terms)
        if delivered_at is None and now <= due:
            continue
        tally = counts.setdefault(shop_id, [0, 0])
        tally[0] += 1
        tally[1] += int(delivered_at is not None and as_utc(delivered_at) <= due)
    return {shop: Punctuality(due, ok) for shop, (due, ok) in sorted(counts.items())}


@dataclass(frozen=True, slots=True)
class OrderCounts:
    paid: int  # orders paid in the window
    signed: int  # orders delivered (signed for) in the window


def order_counts(
    uow: UnitOfWork,
    *,
    since: datetime,
    until: datetime,
    shop_ids: Collection[int] | None = None,
) -> dict[int, OrderCounts]:
    """shop → paid and signed order counts in [since, until) (denominators of the score's rates)."""
    uow.require_active()
    check_window(since, until)
    counts: dict[int, list[int]] = {}
    for position, stamp in enumerate((Order.paid_at, Order.delivered_at)):
        query = (
            select(Order.shop_id, func.count())
            .where(stamp >= since, stamp < until)
            .group_by(Order.shop_id)
        )
        query = for_shops(query, Order.shop_id, shop_ids)
        for shop_id, n in uow.session.execute(query):
            counts.setdefault(shop_id, [0, 0])[position] = int(n)
    return {shop: OrderCounts(paid, signed) for shop, (paid, signed) in sorted(counts.items())}


@dataclass(frozen=True, slots=True)
class FulfilmentFact:
    """One order as the shop-risk detectors judge it: who bought where from which device and
    instrument, what, when it was paid, due to ship, shipped and signed for, how much was
    refunded and how many carrier scans its parcel has (times in UTC)."""

    order_id: int
    shop_id: int
    buyer_id: int
    status: str
    total_fen: int
    placed_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None  # the shipment's time (the order's when there is no shipment)
    ship_by: datetime | None
    delivered_at: datetime | None
    refunded_fen: int
    address: str
    device_id: str | None
    instrument: str | None
    product_ids: tuple[int, ...]  # one per line, in line order
    tracking_scans: int  # carrier scans recorded after shipping


def fulfilment_facts(
    uow: UnitOfWork,
    *,
    since: datetime,
    until: datetime,
    shop_ids: Collection[int] | None = None,
) -> list[FulfilmentFact]:
    """Every order placed in [since, until), oldest first, with its fulfilment facts."""
    uow.require_active()
    check_window(since, until)
    columns = (
        Order.id, Order.shop_id, Order.buyer_id, Order.status, Order.total_fen, Order.placed_at,
        Order.paid_at, Shipment.shipped_at, Order.shipped_at, Order.ship_by, Order.delivered_at,
        Payment.refunded_fen, Order.address, Order.device_id, Payment.instrument,
    )  # fmt: skip
    query = (
        select(*columns)
        .outerjoin(Payment, Payment.order_id == Order.id)
        .outerjoin(Shipment, Shipment.order_id == Order.id)
        .where(Order.placed_at >= since, Order.placed_at < until)
        .order_by(Order.placed_at, Order.id)
    )
    rows = uow.session.execute(for_shops(query, Order.shop_id, shop_ids)).all()
    lines = _lines_of(uow, [row[0] for row in rows])
    scans: dict[int, int] = {}
    for chunk in _chunks([row[0] for row in rows]):
        counted = uow.session.execute(
            select(TrackingEvent.order_id, func.count())
            .where(TrackingEvent.order_id.in_(chunk))
            .group_by(TrackingEvent.order_id)
        )
        scans.update((order_id, int(n)) for order_id, n in counted)
    facts = []
    for row in rows:
        (oid, shop, buyer, status, total, placed, paid, shipment_at, order_shipped_at, ship_by,
         delivered, refunded, address, device, instrument) = row  # fmt: skip
        facts.append(
            FulfilmentFact(
                oid, shop, buyer, status, total, as_utc(placed), _utc(paid),
                _utc(shipment_at or order_shipped_at), _utc(ship_by), _utc(delivered),
                int(refunded or 0), address or "", device, instrument,
                tuple(product for product, _ in lines.get(oid, ())), scans.get(oid, 0),
            )
        )  # fmt: skip
    return facts


@dataclass(frozen=True, slots=True)
class PaidOrderLines:
    """A paid order with what each of its lines cost (product id, quantity × unit price)."""

    order_id: int
    buyer_id: int
    shop_id: int
    placed_at: datetime
    paid_at: datetime  # the payment's time, UTC
    paid_fen: int
    refunded_fen: int
    lines: tuple[tuple[int, int], ...]  # (product id, line amount in fen), in line order


def paid_order_lines(uow: UnitOfWork) -> list[PaidOrderLines]:
    """Every paid order, in payment order (then by order id), with its lines: every buyer's whole
    purchase history, for insight's figures."""
    uow.require_active()
    query = select(
        Order.id,
        Order.buyer_id,
        Order.shop_id,
        Order.placed_at,
        Payment.paid_at,
        Payment.amount_fen,
        Payment.refunded_fen,
    ).join(Payment, Payment.order_id == Order.id)
    rows = uow.session.execute(query.order_by(Payment.paid_at, Order.id)).all()
    lines = _lines_of(uow, [row[0] for row in rows])
    out = []
    for oid, buyer, shop, placed, paid, amount, refunded in rows:
        bought = tuple(lines.get(oid, ()))
        out.append(
            PaidOrderLines(oid, buyer, shop, as_utc(placed), as_utc(paid), amount, refunded, bought)
        )
    return out


def _lines_of(uow: UnitOfWork, order_ids: list[int]) -> dict[int, list[tuple[int, int]]]:
    """order → [(product id, line amount in fen)], in line order."""
    out: dict[int, list[tuple[int, int]]] = {}
    amount = OrderLine.quantity * OrderLine.unit_price_fen
    for chunk in _chunks(order_ids):
        found = uow.session.execute(
            select(OrderLine.order_id, OrderLine.product_id, amount)
            .where(OrderLine.order_id.in_(chunk))
            .order_by(OrderLine.id)
        )
        for order_id, product_id, fen in found:
            out.setdefault(order_id, []).append((product_id, int(fen)))
    return out


def _utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def check_window(
    since: datetime, until: datetime, code: StrEnum = TradeError.INVALID_FILTER
) -> None:
    """A window is two timezone-aware times, since < until (else `invalid(code)`)."""
    if since.tzinfo is None or until.tzinfo is None or since >= until:
        raise invalid(code, "a window is two timezone-aware times, since < until")


def for_shops(query: Q, column: Any, shop_ids: Collection[int] | None) -> Q:
    """`query` narrowed to `shop_ids` (None: every shop)."""
    if shop_ids is None:
        return query
    narrowed: Q = query.where(column.in_(sorted(set(shop_ids))))
    return narrowed


# --- facts the books' audit reconciles the ledger with (participant calls) ----------------------


@dataclass(frozen=True, slots=True)
class OrderMoneyFact:
    order_id: int
    buyer_id: int
    shop_id: int
    status: str
    paid_fen: int  # 0 when unpaid
    refunded_fen: int
    settled: bool


def order_money_facts(uow: UnitOfWork) -> list[OrderMoneyFact]:
    """Every paid order's money, by order id."""
    uow.require_active()
    rows = uow.session.execute(
        select(
            Order.id,
            Order.buyer_id,
            Order.shop_id,
            Order.status,
            Payment.amount_fen,
            Payment.refunded_fen,
            Order.settled_at,
        )
        .join(Payment, Payment.order_id == Order.id)
        .order_by(Order.id)
    )
    return [
        OrderMoneyFact(oid, buyer, shop, status, paid, refunded, settled is not None)
        for oid, buyer, shop, status, paid, refunded, settled in rows
    ]


def coupons_by_buyer(uow: UnitOfWork) -> dict[int, int]:
    """buyer → the value of the compensation coupons issued to them."""
    uow.require_active()
    rows = uow.session.execute(
        select(CompensationCoupon.buyer_id, func.sum(CompensationCoupon.amount_fen)).group_by(
            CompensationCoupon.buyer_id
        )
    )
    return {buyer: int(total) for buyer, total in rows}


# --- more reads for actors ----------------------------------------------------------------------


def tracking(uow: UnitOfWork, actor: Actor, order_id: int) -> list[TrackingEvent]:
    """The carrier's scans of an order's parcel, oldest first (for the order's parties)."""
    get_order(uow, actor, order_id)  # 404 / 403
    with uow:
        return list(
            uow.session.scalars(
                select(TrackingEvent)
                .where(TrackingEvent.order_id == order_id)
                .order_by(TrackingEvent.occurred_at, TrackingEvent.id)
            )
        )


def my_coupons(uow: UnitOfWork, actor: Actor) -> list[CompensationCoupon]:
    """The compensation coupons issued to the actor, newest first."""
    with uow:
        return list(
            uow.session.scalars(
                select(CompensationCoupon)
                .where(CompensationCoupon.buyer_id == actor.user_id)
                .order_by(CompensationCoupon.id.desc())
            )
        )

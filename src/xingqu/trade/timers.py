"""The trade timers `xingqu worker` runs: each finds what is due (`due_ids`), then handles every
item in its own transaction, checking again under the order's lock (`each_due`). Running a timer
twice changes nothing the second time (what was done is no longer due), and a crash between two
items loses nothing.

- `expire_unpaid`: orders unpaid `payment_window_minutes` after placement are cancelled and their
  stock released.
- `compensate_late_shipments`: paid orders still unshipped after their ship-by deadline earn the
  buyer a late-shipment coupon.
- `compensate_fake_shipping`: shipments the carrier never scanned `fake_shipping_hours` after
  they were declared earn a fake-shipping coupon.
- `auto_confirm`: delivered orders the buyer has not confirmed `auto_confirm_days` after delivery
  are completed (not while an after-sales request is open).
- `settle_due`: completed orders due for settlement are settled (`settlement`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, exists, select

from xingqu.store.uow import UnitOfWork, UnitOfWorkFactory
from xingqu.trade.cancellation import cancel
from xingqu.trade.compensation import issue_compensation
from xingqu.trade.deadlines import (
    auto_confirm_at,
    fake_shipping_deadline,
    passed,
    payment_deadline,
)
from xingqu.trade.fulfilment import complete
from xingqu.trade.lifecycle import order_for_update
from xingqu.trade.models import CompensationCoupon, Order, Shipment, TrackingEvent
from xingqu.trade.payments import PaymentProvider
from xingqu.trade.rules import OrderStatus
from xingqu.trade.settlement import due_for_settlement, settle_order
from xingqu.trade.terms import CompensationKind, Terms

BATCH = 500


@dataclass(frozen=True)
class TimerRun:
    """What every timer needs: units of work (with the platform's clock), the payment provider,
    the trade terms."""

    uows: UnitOfWorkFactory
    payments: PaymentProvider
    terms: Terms


TimerJob = Callable[[TimerRun], int]
"""A timer: handles what is due now and returns how many items it changed."""


def due_ids(run: TimerRun, query: Callable[[datetime], Select[Any]]) -> list[int]:
    """The ids `query(now)` selects (at most `BATCH`), read in their own read-only transaction."""
    with run.uows(readonly=True) as uow:
        return list(uow.session.scalars(query(uow.clock.now()).limit(BATCH)))


def each_due(
    run: TimerRun, ids: list[int], act: Callable[[UnitOfWork, int, datetime], bool]
) -> int:
    """Run `act` on every id in its own transaction; it checks again under lock and returns
    whether it changed something (then the transaction commits). Returns how many did."""
    done = 0
    for item_id in ids:
        with run.uows() as uow:
            if act(uow, item_id, uow.clock.now()):
                uow.commit()
                done += 1
    return done


def expire_unpaid(run: TimerRun) -> int:
    window = timedelta(minutes=run.terms.payment_window_minutes)

    def act(uow: UnitOfWork, order_id: int, now: datetime) -> bool:
        order = order_for_update(uow, order_id)
        if order.status != OrderStatus.PENDING_PAYMENT or not passed(
            payment_deadline(order.placed_at, run.terms), now
        ):
            return False
        cancel(uow, order, "payment_timeout", None)
        return True

    ids = due_ids(
        run,
        lambda now: (
            select(Order.id)
            .where(Order.status == OrderStatus.PENDING_PAYMENT, Order.placed_at < now - window)
            .order_by(Order.id)
        ),
    )
    return each_due(run, ids, act)


def compensate_late_shipments(run: TimerRun) -> int:
    def still_due(order: Order, now: datetime) -> bool:
        return (
            order.status == OrderStatus.PAID
            and order.ship_by is not None
            and passed(order.ship_by, now)
        )

    ids = due_ids(
        run,
        lambda now: (
            select(Order.id)
            .where(Order.status == OrderStatus.PAID, Order.ship_by < now)
            .where(~_has_coupon(CompensationKind.LATE_SHIPMENT))
            .order_by(Order.id)
        ),
    )
    return each_due(run, ids, _compensator(run, CompensationKind.LATE_SHIPMENT, still_due))


def compensate_fake_shipping(run: TimerRun) -> int:
    span = timedelta(hours=run.terms.fake_shipping_hours)

    def still_due(order: Order, now: datetime) -> bool:
        return (
            order.status == OrderStatus.SHIPPED
            and order.shipment is not None
            and passed(fake_shipping_deadline(order.shipment.shipped_at, run.terms), now)
        )

    ids = due_ids(
        run,
        lambda now: (
            select(Order.id)
            .join(Shipment, Shipment.order_id == Order.id)
            .where(Order.status == OrderStatus.SHIPPED, Shipment.shipped_at < now - span)
            .where(~_scanned(), ~_has_coupon(CompensationKind.FAKE_SHIPPING))
            .order_by(Order.id)
        ),
    )
    return each_due(run, ids, _compensator(run, CompensationKind.FAKE_SHIPPING, still_due))


def auto_confirm(run: TimerRun) -> int:
    span = timedelta(days=run.terms.auto_confirm_days)

    def act(uow: UnitOfWork, order_id: int, now: datetime) -> bool:
        order = order_for_update(uow, order_id)
        if (
            order.status != OrderStatus.DELIVERED
            or order.delivered_at is None
            or order.open_requests > 0
            or not passed(auto_confirm_at(order.delivered_at, run.terms), now)
        ):
            return False
        complete(uow, order, "timer")
        return True

    ids = due_ids(
        run,
        lambda now: (
            select(Order.id)
            .where(
                Order.status == OrderStatus.DELIVERED,
                Order.delivered_at < now - span,
                Order.open_requests == 0,
            )
            .order_by(Order.id)
        ),
    )
    return each_due(run, ids, act)


def settle_due(run: TimerRun) -> int:
    return sum(
        settle_order(run.uows(), order_id, terms=run.terms)
        for order_id in due_for_settlement(run.uows, run.terms, BATCH)
    )


JOBS: list[tuple[str, TimerJob]] = [
    ("trade.expire_unpaid", expire_unpaid),
    ("trade.compensate_late_shipments", compensate_late_shipments),
    ("trade.compensate_fake_shipping", compensate_fake_shipping),
    ("trade.auto_confirm", auto_confirm),
    ("trade.settle_due", settle_due),
]
"""Trade's timers in the order they run (named for the worker's log)."""


# --- internals --------------------------------------------------------------------------------


def _has_coupon(kind: CompensationKind) -> Any:
    return exists().where(CompensationCoupon.order_id == Order.id, CompensationCoupon.kind == kind)


def _scanned() -> Any:
    return exists().where(TrackingEvent.order_id == Order.id)


def _compensator(
    run: TimerRun, kind: CompensationKind, still_due: Callable[[Order, datetime], bool]
) -> Callable[[UnitOfWork, int, datetime], bool]:
    def act(uow: UnitOfWork, order_id: int, now: datetime) -> bool:
        order = order_for_update(uow, order_id)
        if not still_due(order, now):
            return False
        if kind == CompensationKind.FAKE_SHIPPING and uow.session.scalar(
            select(TrackingEvent.id).where(TrackingEvent.order_id == order.id).limit(1)
        ):
            return False  # a scan came in meanwhile
        return issue_compensation(uow, order, kind, run.terms) is not None

    return act

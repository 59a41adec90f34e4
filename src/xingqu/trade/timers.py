"""The trade timers `xingqu worker` runs: each finds what is due, then handles every item in its
own transaction, checking again under the order's lock. Running a timer twice changes nothing the
second time (what was done is no longer due), and a crash between two items loses nothing.

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
from datetime import timedelta

from sqlalchemy import exists, select

from xingqu.store.uow import UnitOfWorkFactory
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


def expire_unpaid(run: TimerRun) -> int:
    terms = run.terms
    with run.uows(readonly=True) as uow:
        cutoff = uow.clock.now() - timedelta(minutes=terms.payment_window_minutes)
        ids = list(
            uow.session.scalars(
                select(Order.id)
                .where(Order.status == OrderStatus.PENDING_PAYMENT, Order.placed_at < cutoff)
                .order_by(Order.id)
                .limit(BATCH)
            )
        )
    done = 0
    for order_id in ids:
        with run.uows() as uow:
            order = order_for_update(uow, order_id)
            if order.status != OrderStatus.PENDING_PAYMENT or not passed(
                payment_deadline(order.placed_at, terms), uow.clock.now()
            ):
                continue
            cancel(uow, order, "payment_timeout", None)
            uow.commit()
            done += 1
    return done


def compensate_late_shipments(run: TimerRun) -> int:
    with run.uows(readonly=True) as uow:
        now = uow.clock.now()
        ids = list(
            uow.session.scalars(
                select(Order.id)
                .where(Order.status == OrderStatus.PAID, Order.ship_by < now)
                .where(~_has_coupon(CompensationKind.LATE_SHIPMENT))
                .order_by(Order.id)
                .limit(BATCH)
            )
        )
    return _compensate(run, ids, CompensationKind.LATE_SHIPMENT, _still_unshipped)


def compensate_fake_shipping(run: TimerRun) -> int:
    with run.uows(readonly=True) as uow:
        cutoff = uow.clock.now() - timedelta(hours=run.terms.fake_shipping_hours)
        scanned = exists().where(TrackingEvent.order_id == Order.id)
        ids = list(
            uow.session.scalars(
                select(Order.id)
                .join(Shipment, Shipment.order_id == Order.id)
                .where(Order.status == OrderStatus.SHIPPED, Shipment.shipped_at < cutoff)
                .where(~scanned, ~_has_coupon(CompensationKind.FAKE_SHIPPING))
                .order_by(Order.id)
                .limit(BATCH)
            )
        )
    return _compensate(run, ids, CompensationKind.FAKE_SHIPPING, _never_scanned)


def auto_confirm(run: TimerRun) -> int:
    with run.uows(readonly=True) as uow:
        cutoff = uow.clock.now() - timedelta(days=run.terms.auto_confirm_days)
        ids = list(
            uow.session.scalars(
                select(Order.id)
                .where(
                    Order.status == OrderStatus.DELIVERED,
                    Order.delivered_at < cutoff,
                    Order.open_requests == 0,
                )
                .order_by(Order.id)
                .limit(BATCH)
            )
        )
    done = 0
    for order_id in ids:
        with run.uows() as uow:
            order = order_for_update(uow, order_id)
            if (
                order.status != OrderStatus.DELIVERED
                or order.delivered_at is None
                or order.open_requests > 0
                or not passed(auto_confirm_at(order.delivered_at, run.terms), uow.clock.now())
            ):
                continue
            complete(uow, order, "timer")
            uow.commit()
            done += 1
    return done


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


def _has_coupon(kind: CompensationKind):  # type: ignore[no-untyped-def]
    return exists().where(CompensationCoupon.order_id == Order.id, CompensationCoupon.kind == kind)


def _still_unshipped(order: Order, run: TimerRun) -> bool:
    return (
        order.status == OrderStatus.PAID
        and order.ship_by is not None
        and passed(order.ship_by, run.uows.clock.now())
    )


def _never_scanned(order: Order, run: TimerRun) -> bool:
    if order.status != OrderStatus.SHIPPED or order.shipment is None:
        return False
    deadline = fake_shipping_deadline(order.shipment.shipped_at, run.terms)
    return passed(deadline, run.uows.clock.now())


def _compensate(
    run: TimerRun,
    ids: list[int],
    kind: CompensationKind,
    still_due: Callable[[Order, TimerRun], bool],
) -> int:
    done = 0
    for order_id in ids:
        with run.uows() as uow:
            order = order_for_update(uow, order_id)
            if not still_due(order, run):
                continue
            if kind == CompensationKind.FAKE_SHIPPING and uow.session.scalar(
                select(TrackingEvent.id).where(TrackingEvent.order_id == order.id).limit(1)
            ):
                continue
            if issue_compensation(uow, order, kind, run.terms) is not None:
                uow.commit()
                done += 1
    return done

"""Governance's read port for the facts it judges shops by, and its adapter over what exists.

Shop-risk detectors and scores need per-order facts (who bought, when, from which device, address
and payment instrument, when it shipped and whether the parcel ever moved, whether it was
refunded) and per-product feedback (reviews, complaints). `TradeFacts` is the port; the adapter
below reads them from trade's tables (read-only, in this one place: `trade.queries.order_links`
has the buyer, shop, address, device and instrument but not the products, times, refunds and
carrier scans the detectors also need; see docs/governance.md, "What trade is asked to provide")
and the reviews and complaints from discovery's queries.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from xingqu.discovery import queries as discovery_queries
from xingqu.shared.clock import as_utc
from xingqu.store.uow import UnitOfWork
from xingqu.trade.models import Order, OrderLine, Payment, Shipment, TrackingEvent


@dataclass(frozen=True, slots=True)
class OrderFact:
    order_id: int
    shop_id: int
    buyer_id: int
    status: str
    total_fen: int
    placed_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    ship_by: datetime | None
    delivered_at: datetime | None
    refunded_fen: int
    address: str
    device_id: str | None
    instrument: str | None
    product_ids: tuple[int, ...]
    tracking_scans: int  # carrier scans recorded after shipping


@dataclass(frozen=True, slots=True)
class Feedback:
    """A review (stars) or a complaint about a product, from the behaviour log."""

    user_id: int
    product_id: int
    action: str  # review, complaint
    stars: float
    at: datetime


class TradeFacts:
    """The adapter: reads inside the caller's unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        uow.require_active()
        self.uow = uow

    def orders(
        self, since: datetime, until: datetime, shop_ids: Collection[int] | None = None
    ) -> list[OrderFact]:
        """Orders placed in [since, until), oldest first."""
        s = self.uow.session
        where = [Order.placed_at >= since, Order.placed_at < until]
        if shop_ids is not None:
            where.append(Order.shop_id.in_(sorted(set(shop_ids))))
        device_col = getattr(Order, "device_id", None)
        instrument_col = getattr(Payment, "instrument", None)
        columns: list[Any] = [Order, Payment.refunded_fen, Shipment.shipped_at]
        columns += [c for c in (device_col, instrument_col) if c is not None]
        rows = s.execute(
            select(*columns)
            .outerjoin(Payment, Payment.order_id == Order.id)
            .outerjoin(Shipment, Shipment.order_id == Order.id)
            .where(*where)
            .order_by(Order.placed_at, Order.id)
            .execution_options(populate_existing=False)
        ).all()
        ids = [row[0].id for row in rows]
        lines = _products_of(self.uow, ids)
        scans = _scans_of(self.uow, ids)
        out = []
        for row in rows:
            order, refunded, shipped_at = row[0], row[1], row[2]
            rest = list(row[3:])
            device = rest.pop(0) if device_col is not None else None
            instrument = rest.pop(0) if instrument_col is not None else None
            out.append(
                OrderFact(
                    order_id=order.id,
                    shop_id=order.shop_id,
                    buyer_id=order.buyer_id,
                    status=order.status,
                    total_fen=order.total_fen,
                    placed_at=as_utc(order.placed_at),
                    paid_at=_utc(order.paid_at),
                    shipped_at=_utc(shipped_at or order.shipped_at),
                    ship_by=_utc(order.ship_by),
                    delivered_at=_utc(order.delivered_at),
                    refunded_fen=int(refunded or 0),
                    address=order.address or "",
                    device_id=device,
                    instrument=instrument,
                    product_ids=tuple(lines.get(order.id, ())),
                    tracking_scans=scans.get(order.id, 0),
                )
            )
        return out

    def feedback(self, since: datetime, until: datetime) -> list[Feedback]:
        return [
            Feedback(user_id, product_id, action, value, at)
            for user_id, product_id, action, value, at in discovery_queries.product_feedback(
                self.uow, since, until
            )
        ]


def _utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def _products_of(uow: UnitOfWork, order_ids: list[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for chunk in _chunks(order_ids):
        for order_id, product_id in uow.session.execute(
            select(OrderLine.order_id, OrderLine.product_id).where(OrderLine.order_id.in_(chunk))
        ):
            out.setdefault(order_id, []).append(product_id)
    return out


def _scans_of(uow: UnitOfWork, order_ids: list[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for chunk in _chunks(order_ids):
        for order_id, n in uow.session.execute(
            select(TrackingEvent.order_id, func.count())
            .where(TrackingEvent.order_id.in_(chunk))
            .group_by(TrackingEvent.order_id)
        ):
            out[order_id] = int(n)
    return out


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]

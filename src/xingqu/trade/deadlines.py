"""Pure deadline rules: when an order must be paid, shipped, confirmed and settled, and the
windows of the purchase guarantees. No I/O; every time is a timezone-aware UTC datetime and
local days are those of `Terms.utc_offset_hours`.

A deadline "has passed" when the clock reads later than it (`now > deadline`): acting exactly at
the deadline is still in time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from xingqu.trade.terms import Terms


class ShipPromise(StrEnum):
    WITHIN_HOURS = "within_hours"  # ships within `ship_within_hours` of payment
    SAME_DAY = "same_day"  # paid before the cut-off: ships that local day; later: the next day
    NEXT_DAY = "next_day"  # ships by the end of the next local day


class ReturnPolicy(StrEnum):
    """Whether a product takes 7-day no-reason returns (everything but the exclusions does)."""

    STANDARD = "standard"
    CUSTOM = "custom"
    PERISHABLE = "perishable"
    DIGITAL = "digital"


NO_REASON_EXCLUSIONS = frozenset(
    {ReturnPolicy.CUSTOM, ReturnPolicy.PERISHABLE, ReturnPolicy.DIGITAL}
)


def passed(deadline: datetime, now: datetime) -> bool:
    return now > deadline


def local_day_start(when: datetime, terms: Terms) -> datetime:
    """00:00 local time of the local day `when` falls on, as UTC."""
    offset = timedelta(hours=terms.utc_offset_hours)
    local = when.astimezone(UTC) + offset
    return datetime(local.year, local.month, local.day, tzinfo=UTC) - offset


def payment_deadline(placed_at: datetime, terms: Terms) -> datetime:
    return placed_at + timedelta(minutes=terms.payment_window_minutes)


def line_ship_by(
    promise: ShipPromise, within_hours: int, paid_at: datetime, terms: Terms
) -> datetime:
    if promise == ShipPromise.WITHIN_HOURS:
        return paid_at + timedelta(hours=within_hours)
    day = local_day_start(paid_at, terms)
    if promise == ShipPromise.SAME_DAY:
        before_cutoff = paid_at < day + timedelta(hours=terms.same_day_cutoff_hour)
        return day + timedelta(days=1 if before_cutoff else 2)
    return day + timedelta(days=2)  # NEXT_DAY: the end of the day after payment


def order_ship_by(
    lines: Iterable[tuple[ShipPromise, int]], paid_at: datetime, terms: Terms
) -> datetime:
    """The shortest promise of any line binds the whole order."""
    return min(line_ship_by(promise, hours, paid_at, terms) for promise, hours in lines)


def fake_shipping_deadline(shipped_at: datetime, terms: Terms) -> datetime:
    """By then the carrier must have scanned the parcel, or the shipment was fake."""
    return shipped_at + timedelta(hours=terms.fake_shipping_hours)


def delivery_due(shipped_at: datetime, terms: Terms) -> datetime:
    """By then a shipped parcel should have been signed for (on-time delivery)."""
    return shipped_at + timedelta(hours=terms.deliver_within_hours)


def auto_confirm_at(delivered_at: datetime, terms: Terms) -> datetime:
    return delivered_at + timedelta(days=terms.auto_confirm_days)


def no_reason_return_ends(delivered_at: datetime, terms: Terms) -> datetime:
    """168 hours from 00:00 local time of the day after signing."""
    starts = local_day_start(delivered_at, terms) + timedelta(days=1)
    return starts + timedelta(hours=terms.no_reason_return_hours)


def aftersales_window_ends(delivered_at: datetime, terms: Terms) -> datetime:
    return delivered_at + timedelta(days=terms.aftersales_window_days)


def settlement_due(completed_at: datetime, delivered_at: datetime | None, terms: Terms) -> datetime:
    """`settle_after_days` after confirmed receipt, and never inside the no-reason return window."""
    due = completed_at + timedelta(days=terms.settle_after_days)
    if delivered_at is not None:
        due = max(due, no_reason_return_ends(delivered_at, terms))
    return due


def insurance_claim_ends(shipped_at: datetime, terms: Terms) -> datetime:
    return shipped_at + timedelta(days=terms.insurance_claim_days)

"""Pure after-sales rules: request kinds and reasons, the request's state machine, the guarantee
windows a request must fall in, and the customer-service ticket's states. No I/O.

Windows follow `trade.deadlines`: a deadline has passed when the clock reads later than it, so
acting exactly at the deadline is still in time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from xingqu.aftersales.errors import AftersalesError
from xingqu.shared.errors import conflict, invalid
from xingqu.shared.money import Money
from xingqu.trade.deadlines import (
    NO_REASON_EXCLUSIONS,
    ReturnPolicy,
    aftersales_window_ends,
    no_reason_return_ends,
    passed,
)
from xingqu.trade.rules import parse_choice
from xingqu.trade.terms import Terms

MAX_DESCRIPTION = 500
MAX_NOTE = 500
MAX_SUBJECT = 120
MAX_MESSAGE = 2_000
MAX_CARRIER = 40
MAX_TRACKING_NO = 64
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class RequestKind(StrEnum):
    REFUND_ONLY = "refund_only"  # money back, the goods stay (or never shipped)
    RETURN_REFUND = "return_refund"  # the goods go back, then the money
    EXCHANGE = "exchange"  # the goods go back, a replacement comes


class ReasonCode(StrEnum):
    NO_REASON = "no_reason"  # the 7-day no-reason return
    CHANGED_MIND = "changed_mind"  # before the goods arrive
    QUALITY = "quality"
    NOT_AS_DESCRIBED = "not_as_described"
    WRONG_ITEM = "wrong_item"
    DAMAGED_IN_TRANSIT = "damaged_in_transit"
    NOT_RECEIVED = "not_received"
    LATE_SHIPMENT = "late_shipment"
    OTHER = "other"


QUALITY_REASONS = frozenset({ReasonCode.QUALITY, ReasonCode.NOT_AS_DESCRIBED})
"""Reasons that make a request a *quality return* for the merchant experience score."""


class RequestStatus(StrEnum):
    REQUESTED = "requested"  # waiting for the merchant (auto-approved after the deadline)
    APPROVED = "approved"  # return or exchange approved: waiting for the buyer's parcel
    RETURNING = "returning"  # the buyer sent the goods back: waiting for the merchant
    EXECUTED = "executed"  # the money went back
    EXCHANGED = "exchanged"  # the replacement was shipped
    REJECTED = "rejected"  # the merchant said no (the buyer may escalate)
    ESCALATED = "escalated"  # the platform decides
    CLOSED = "closed"  # withdrawn by the buyer, or the goods never came back


class Decider(StrEnum):
    """Who made a request's decision (approval or rejection)."""

    MERCHANT = "merchant"
    PLATFORM = "platform"  # an operator (a ruling on an escalation, or acting for the shop)
    TIMER = "timer"  # the merchant did not answer in time
    INSTANT = "instant"  # instant refund before shipping


REQUEST_TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    RequestStatus.REQUESTED: frozenset(
        {
            RequestStatus.APPROVED,
            RequestStatus.EXECUTED,
            RequestStatus.REJECTED,
            RequestStatus.CLOSED,
        }
    ),
    RequestStatus.APPROVED: frozenset({RequestStatus.RETURNING, RequestStatus.CLOSED}),
    RequestStatus.RETURNING: frozenset(
        {RequestStatus.EXECUTED, RequestStatus.EXCHANGED, RequestStatus.REJECTED}
    ),
    RequestStatus.REJECTED: frozenset({RequestStatus.ESCALATED, RequestStatus.CLOSED}),
    RequestStatus.ESCALATED: frozenset(
        {RequestStatus.APPROVED, RequestStatus.EXECUTED, RequestStatus.REJECTED}
    ),
    RequestStatus.EXECUTED: frozenset(),
    RequestStatus.EXCHANGED: frozenset(),
    RequestStatus.CLOSED: frozenset(),
}
"""Every allowed move of a request; anything else is `aftersales.invalid_transition`."""

OPEN_STATUSES = frozenset(
    {
        RequestStatus.REQUESTED,
        RequestStatus.APPROVED,
        RequestStatus.RETURNING,
        RequestStatus.ESCALATED,
    }
)
"""Requests still in progress: their amount is spoken for, and the order waits for them before it
is confirmed automatically or settled."""


def check_request_transition(current: RequestStatus, target: RequestStatus) -> None:
    if target not in REQUEST_TRANSITIONS[current]:
        raise conflict(
            AftersalesError.INVALID_TRANSITION,
            f"an after-sales request cannot go from {current} to {target}",
            current=str(current),
            target=str(target),
        )


def decided_status(kind: RequestKind) -> RequestStatus:
    """Where an approval leads: refund-only pays at once; returns and exchanges wait for goods."""
    return RequestStatus.EXECUTED if kind == RequestKind.REFUND_ONLY else RequestStatus.APPROVED


# --- what may be asked ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """What the guarantee rules need to know about an order (read by the service from trade)."""

    status: str  # trade's OrderStatus value
    paid_fen: int
    refunded_fen: int
    open_fen: int  # amounts of this order's other open requests
    shipped_at: datetime | None
    delivered_at: datetime | None
    instant_refund: bool
    line_policies: tuple[tuple[ReturnPolicy, int], ...]  # (return policy, line total) per line


def check_request_allowed(
    kind: RequestKind,
    reason: ReasonCode,
    amount_fen: int,
    order: OrderFacts,
    now: datetime,
    terms: Terms,
) -> None:
    """Raise unless this request may be opened now. Checks, in order: the amount, that goods were
    shipped for a return or exchange, the guarantee's window, the no-reason exclusions."""
    available = order.paid_fen - order.refunded_fen - order.open_fen
    if amount_fen > available:
        raise conflict(
            AftersalesError.REFUND_EXCEEDS_PAID,
            f"at most {Money(max(available, 0))} can still be asked for on this order, "
            f"not {Money(amount_fen)}",
            available_fen=max(available, 0),
            amount_fen=amount_fen,
        )
    if kind != RequestKind.REFUND_ONLY and order.shipped_at is None:
        raise conflict(
            AftersalesError.NOT_SHIPPED,
            f"nothing was shipped yet, so there is nothing to send back; ask for a "
            f"{RequestKind.REFUND_ONLY} instead",
        )
    if order.delivered_at is not None:
        ends = window_ends(reason, order.delivered_at, terms)
        if passed(ends, now):
            raise conflict(
                AftersalesError.WINDOW_CLOSED,
                f"the window for {reason} requests closed at {ends.isoformat()}",
                window_ends=ends.isoformat(),
            )
    if reason == ReasonCode.NO_REASON:
        returnable = no_reason_returnable_fen(order.line_policies)
        if returnable == 0 or amount_fen > returnable:
            raise conflict(
                AftersalesError.NOT_RETURNABLE,
                "custom, perishable and digital goods take no no-reason returns; "
                f"at most {Money(returnable)} of this order may be returned without a reason",
                returnable_fen=returnable,
            )


def window_ends(reason: ReasonCode, delivered_at: datetime, terms: Terms) -> datetime:
    """After signing, a no-reason request fits in the 7-day window, any other in the after-sales
    window. Before signing there is no window (anything may be asked)."""
    if reason == ReasonCode.NO_REASON:
        return no_reason_return_ends(delivered_at, terms)
    return aftersales_window_ends(delivered_at, terms)


def no_reason_returnable_fen(line_policies: Iterable[tuple[ReturnPolicy, int]]) -> int:
    """The value of the lines whose products take no-reason returns."""
    return sum(total for policy, total in line_policies if policy not in NO_REASON_EXCLUSIONS)


def instant_refund_applies(
    kind: RequestKind, order: OrderFacts, amount_fen: int, terms: Terms
) -> bool:
    """Instant refund before shipping: a refund-only request on a paid, unshipped order whose
    products carry the label and whose payment is at most `instant_refund_max_fen`."""
    return (
        kind == RequestKind.REFUND_ONLY
        and order.status == "paid"
        and order.shipped_at is None
        and order.instant_refund
        and order.paid_fen <= terms.instant_refund_max_fen
        and amount_fen > 0
    )


def respond_by(requested_at: datetime, terms: Terms) -> datetime:
    return requested_at + timedelta(hours=terms.merchant_response_hours)


def return_by(approved_at: datetime, terms: Terms) -> datetime:
    return approved_at + timedelta(hours=terms.return_ship_hours)


def receive_by(returned_at: datetime, terms: Terms) -> datetime:
    return returned_at + timedelta(hours=terms.return_receive_hours)


def escalate_by(rejected_at: datetime, terms: Terms) -> datetime:
    return rejected_at + timedelta(hours=terms.escalation_hours)


def insurance_payout_fen(claimed_fen: int, cap_fen: int) -> int:
    """A return-shipping claim pays what the return cost, up to the tier's cap."""
    return min(claimed_fen, cap_fen)


# --- customer-service tickets -----------------------------------------------------------------


class TicketStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    ESCALATED = "escalated"  # the platform takes over
    CLOSED = "closed"  # the platform closed it


class TicketSide(StrEnum):
    BUYER = "buyer"
    MERCHANT = "merchant"
    PLATFORM = "platform"


TICKET_TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.OPEN: frozenset({TicketStatus.RESOLVED, TicketStatus.ESCALATED}),
    TicketStatus.ESCALATED: frozenset({TicketStatus.CLOSED}),
    TicketStatus.RESOLVED: frozenset(),
    TicketStatus.CLOSED: frozenset(),
}


def check_ticket_transition(current: TicketStatus, target: TicketStatus) -> None:
    if target not in TICKET_TRANSITIONS[current]:
        raise conflict(
            AftersalesError.INVALID_TRANSITION,
            f"a ticket cannot go from {current} to {target}",
            current=str(current),
            target=str(target),
        )


def first_response_due(opened_at: datetime, terms: Terms) -> datetime:
    return opened_at + timedelta(hours=terms.ticket_first_response_hours)


def resolution_due(opened_at: datetime, terms: Terms) -> datetime:
    return opened_at + timedelta(hours=terms.ticket_resolution_hours)


# --- validation -------------------------------------------------------------------------------


def parse_kind(value: str) -> RequestKind:
    return parse_choice(RequestKind, value, "request kind", AftersalesError.INVALID_REQUEST)


def parse_reason(value: str) -> ReasonCode:
    return parse_choice(ReasonCode, value, "reason", AftersalesError.INVALID_REQUEST)


def parse_status(value: str) -> RequestStatus:
    return parse_choice(RequestStatus, value, "request status", AftersalesError.INVALID_FILTER)


def validate_amount_fen(amount_fen: int) -> None:
    if type(amount_fen) is not int or amount_fen <= 0:
        raise invalid(
            AftersalesError.INVALID_REFUND,
            f"the amount must be a positive number of fen, got {amount_fen!r}",
        )


def validate_text(value: str, limit: int, what: str, *, required: bool = True) -> None:
    if not isinstance(value, str) or len(value) > limit or (required and not value.strip()):
        size = f"1–{limit}" if required else f"at most {limit}"
        raise invalid(AftersalesError.INVALID_REQUEST, f"{what} is {size} characters")


def validate_note(note: str) -> None:
    validate_text(note, MAX_NOTE, "a note")


def validate_parcel(carrier: str, tracking_no: str) -> None:
    validate_text(carrier, MAX_CARRIER, "the carrier")
    validate_text(tracking_no, MAX_TRACKING_NO, "the tracking number")


def validate_idempotency_key(key: str) -> None:
    if not isinstance(key, str) or not IDEMPOTENCY_KEY.match(key):
        raise invalid(
            AftersalesError.INVALID_IDEMPOTENCY_KEY,
            "idempotency keys are 1–64 characters: A–Z, a–z, 0–9, '_', '.', ':', '-'",
        )

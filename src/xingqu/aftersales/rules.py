"""Pure refund rules: the request's state machine and how much may still be asked for. No I/O."""

from __future__ import annotations

import re
from enum import StrEnum

from xingqu.aftersales.errors import AftersalesError
from xingqu.shared.errors import conflict, invalid
from xingqu.shared.money import Money

MAX_REASON = 500
MAX_NOTE = 500
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class RefundStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXECUTED = "executed"


REFUND_TRANSITIONS: dict[RefundStatus, frozenset[RefundStatus]] = {
    RefundStatus.REQUESTED: frozenset({RefundStatus.APPROVED, RefundStatus.REJECTED}),
    RefundStatus.APPROVED: frozenset({RefundStatus.EXECUTED}),
    RefundStatus.REJECTED: frozenset(),
    RefundStatus.EXECUTED: frozenset(),
}
"""In this cut approval and execution happen in one transaction (requested → approved →
executed), so `approved` is never stored; it will be once returns put goods between the two."""

OPEN_STATUSES = frozenset({RefundStatus.REQUESTED, RefundStatus.APPROVED})
"""Requests whose money is spoken for but not yet given back."""


def check_refund_transition(current: RefundStatus, target: RefundStatus) -> None:
    if target not in REFUND_TRANSITIONS[current]:
        raise conflict(
            AftersalesError.INVALID_TRANSITION,
            f"a refund request cannot go from {current} to {target}",
            current=str(current),
            target=str(target),
        )


def check_refundable(paid: Money, refunded: Money, open_requests: Money, amount: Money) -> None:
    """`amount` must be positive and fit in paid − already refunded − other open requests."""
    if amount.amount <= 0:
        raise invalid(AftersalesError.INVALID_REFUND, f"a refund must be positive, got {amount}")
    available = paid - refunded - open_requests
    if amount.amount > available.amount:
        raise conflict(
            AftersalesError.REFUND_EXCEEDS_PAID,
            f"at most {available} can still be refunded for this order, not {amount}",
            available_fen=max(available.amount, 0),
            amount_fen=amount.amount,
        )


def validate_amount_fen(amount_fen: int) -> None:
    if type(amount_fen) is not int or amount_fen <= 0:
        raise invalid(
            AftersalesError.INVALID_REFUND,
            f"the amount must be a positive number of fen, got {amount_fen!r}",
        )


def validate_reason(reason: str) -> None:
    if not reason.strip() or len(reason) > MAX_REASON:
        raise invalid(
            AftersalesError.INVALID_REFUND, f"a refund reason is 1–{MAX_REASON} characters"
        )


def validate_note(note: str) -> None:
    if not note.strip() or len(note) > MAX_NOTE:
        raise invalid(
            AftersalesError.INVALID_REFUND, f"a rejection note is 1–{MAX_NOTE} characters"
        )


def validate_idempotency_key(key: str) -> None:
    if not isinstance(key, str) or not IDEMPOTENCY_KEY.match(key):
        raise invalid(
            AftersalesError.INVALID_IDEMPOTENCY_KEY,
            "idempotency keys are 1–64 characters: A–Z, a–z, 0–9, '_', '.', ':', '-'",
        )

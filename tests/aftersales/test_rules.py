"""Refund-request rules without a database."""

from __future__ import annotations

import itertools

import pytest

from xingqu.aftersales.errors import AftersalesError
from xingqu.aftersales.rules import (
    REFUND_TRANSITIONS,
    RefundStatus,
    check_refund_transition,
    check_refundable,
    validate_amount_fen,
)
from xingqu.shared.errors import DomainError, ErrorKind
from xingqu.shared.money import Money

R = RefundStatus
ALLOWED = {(R.REQUESTED, R.APPROVED), (R.REQUESTED, R.REJECTED), (R.APPROVED, R.EXECUTED)}


def test_the_refund_state_machine_allows_exactly_these_moves() -> None:
    for current, target in itertools.product(RefundStatus, RefundStatus):
        if (current, target) in ALLOWED:
            check_refund_transition(current, target)
            continue
        with pytest.raises(DomainError) as caught:
            check_refund_transition(current, target)
        assert caught.value.code == AftersalesError.INVALID_TRANSITION
        assert caught.value.details == {"current": str(current), "target": str(target)}
    assert {(c, t) for c, ts in REFUND_TRANSITIONS.items() for t in ts} == ALLOWED


def test_what_may_be_asked_is_paid_minus_refunded_minus_open_requests() -> None:
    paid, refunded, open_requests = Money(10_000), Money(3_000), Money(2_000)
    check_refundable(paid, refunded, open_requests, Money(5_000))  # exactly what is left
    with pytest.raises(DomainError) as caught:
        check_refundable(paid, refunded, open_requests, Money(5_001))
    assert (caught.value.code, caught.value.kind) == (
        AftersalesError.REFUND_EXCEEDS_PAID,
        ErrorKind.CONFLICT,
    )
    assert caught.value.details == {"available_fen": 5_000, "amount_fen": 5_001}


@pytest.mark.parametrize("amount", [0, -5, 1.5, "100"])
def test_amounts_are_positive_integers_of_fen(amount: object) -> None:
    with pytest.raises(DomainError) as caught:
        validate_amount_fen(amount)
    assert caught.value.code == AftersalesError.INVALID_REFUND

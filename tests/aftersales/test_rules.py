"""After-sales rules without a database: the request and ticket state machines, what may be asked,
the guarantee windows at their boundaries, instant refund, insurance caps."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from xingqu.aftersales.errors import AftersalesError
from xingqu.aftersales.rules import (
    REQUEST_TRANSITIONS,
    TICKET_TRANSITIONS,
    OrderFacts,
    ReasonCode,
    RequestKind,
    RequestStatus,
    TicketStatus,
    check_request_allowed,
    check_request_transition,
    check_ticket_transition,
    instant_refund_applies,
    insurance_payout_fen,
    no_reason_returnable_fen,
    validate_amount_fen,
    window_ends,
)
from xingqu.shared.errors import DomainError, ErrorKind
from xingqu.trade.deadlines import ReturnPolicy
from xingqu.trade.terms import Terms

S = RequestStatus
ALLOWED = {
    (S.REQUESTED, S.APPROVED),
    (S.REQUESTED, S.EXECUTED),
    (S.REQUESTED, S.REJECTED),
    (S.REQUESTED, S.CLOSED),
    (S.APPROVED, S.RETURNING),
    (S.APPROVED, S.CLOSED),
    (S.RETURNING, S.EXECUTED),
    (S.RETURNING, S.EXCHANGED),
    (S.RETURNING, S.REJECTED),
    (S.REJECTED, S.ESCALATED),
    (S.REJECTED, S.CLOSED),
    (S.ESCALATED, S.APPROVED),
    (S.ESCALATED, S.EXECUTED),
    (S.ESCALATED, S.REJECTED),
}
TERMS = Terms()
# signed at 10:00 local (02:00 UTC) on 1 March: the no-reason window starts at 00:00 local on
# 2 March (16:00 UTC on 1 March) and lasts 168 hours
SIGNED = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
NO_REASON_ENDS = datetime(2026, 3, 1, 16, 0, tzinfo=UTC) + timedelta(hours=168)
SECOND = timedelta(seconds=1)


def _order(**kw: object) -> OrderFacts:
    facts: dict[str, object] = {
        "status": "delivered",
        "paid_fen": 10_000,
        "refunded_fen": 0,
        "open_fen": 0,
        "shipped_at": SIGNED - timedelta(days=2),
        "delivered_at": SIGNED,
        "instant_refund": True,
        "line_policies": ((ReturnPolicy.STANDARD, 10_000),),
    }
    facts.update(kw)
    return OrderFacts(**facts)  # type: ignore[arg-type]


def test_the_request_state_machine_allows_exactly_these_moves() -> None:
    for current, target in itertools.product(RequestStatus, RequestStatus):
        if (current, target) in ALLOWED:
            check_request_transition(current, target)
            continue
        with pytest.raises(DomainError) as caught:
            check_request_transition(current, target)
        assert caught.value.code == AftersalesError.INVALID_TRANSITION
        assert caught.value.details == {"current": str(current), "target": str(target)}
    assert {(c, t) for c, ts in REQUEST_TRANSITIONS.items() for t in ts} == ALLOWED


def test_the_ticket_state_machine_allows_exactly_these_moves() -> None:
    allowed = {
        (TicketStatus.OPEN, TicketStatus.RESOLVED),
        (TicketStatus.OPEN, TicketStatus.ESCALATED),
        (TicketStatus.ESCALATED, TicketStatus.CLOSED),
    }
    for current, target in itertools.product(TicketStatus, TicketStatus):
        if (current, target) in allowed:
            check_ticket_transition(current, target)
        else:
            with pytest.raises(DomainError):
                check_ticket_transition(current, target)
    assert {(c, t) for c, ts in TICKET_TRANSITIONS.items() for t in ts} == allowed


def test_the_no_reason_window_is_168_hours_from_midnight_after_signing() -> None:
    assert window_ends(ReasonCode.NO_REASON, SIGNED, TERMS) == NO_REASON_ENDS
    assert window_ends(ReasonCode.QUALITY, SIGNED, TERMS) == SIGNED + timedelta(days=15)


@pytest.mark.parametrize(
    ("reason", "ends"),
    [
        (ReasonCode.NO_REASON, NO_REASON_ENDS),
        (ReasonCode.QUALITY, SIGNED + timedelta(days=15)),
    ],
)
def test_a_request_one_second_inside_its_window_is_allowed_one_second_outside_refused(
    reason: ReasonCode, ends: datetime
) -> None:
    kind = RequestKind.RETURN_REFUND
    check_request_allowed(kind, reason, 10_000, _order(), ends - SECOND, TERMS)
    check_request_allowed(kind, reason, 10_000, _order(), ends, TERMS)  # the deadline itself
    with pytest.raises(DomainError) as caught:
        check_request_allowed(kind, reason, 10_000, _order(), ends + SECOND, TERMS)
    assert (caught.value.code, caught.value.kind) == (
        AftersalesError.WINDOW_CLOSED,
        ErrorKind.CONFLICT,
    )


def test_before_signing_there_is_no_window() -> None:
    years_later = SIGNED + timedelta(days=400)
    unsigned = _order(delivered_at=None, status="shipped")
    check_request_allowed(
        RequestKind.REFUND_ONLY, ReasonCode.NO_REASON, 100, unsigned, years_later, TERMS
    )


@pytest.mark.parametrize(
    "policy", [ReturnPolicy.CUSTOM, ReturnPolicy.PERISHABLE, ReturnPolicy.DIGITAL]
)
def test_custom_perishable_and_digital_goods_take_no_no_reason_return(policy: ReturnPolicy) -> None:
    order = _order(line_policies=((policy, 10_000),))
    with pytest.raises(DomainError) as caught:
        check_request_allowed(
            RequestKind.RETURN_REFUND, ReasonCode.NO_REASON, 100, order, SIGNED, TERMS
        )
    assert caught.value.code == AftersalesError.NOT_RETURNABLE
    # while a quality problem may still be raised on them
    check_request_allowed(RequestKind.RETURN_REFUND, ReasonCode.QUALITY, 100, order, SIGNED, TERMS)


def test_a_mixed_order_returns_only_its_returnable_lines_without_a_reason() -> None:
    lines = ((ReturnPolicy.STANDARD, 6_000), (ReturnPolicy.PERISHABLE, 4_000))
    assert no_reason_returnable_fen(lines) == 6_000
    order = _order(line_policies=lines)
    check_request_allowed(
        RequestKind.RETURN_REFUND, ReasonCode.NO_REASON, 6_000, order, SIGNED, TERMS
    )
    with pytest.raises(DomainError) as caught:
        check_request_allowed(
            RequestKind.RETURN_REFUND, ReasonCode.NO_REASON, 6_001, order, SIGNED, TERMS
        )
    assert caught.value.details == {"returnable_fen": 6_000}


def test_what_may_be_asked_is_paid_minus_refunded_minus_open_requests() -> None:
    order = _order(refunded_fen=3_000, open_fen=2_000)
    check_request_allowed(RequestKind.REFUND_ONLY, ReasonCode.QUALITY, 5_000, order, SIGNED, TERMS)
    with pytest.raises(DomainError) as caught:
        check_request_allowed(
            RequestKind.REFUND_ONLY, ReasonCode.QUALITY, 5_001, order, SIGNED, TERMS
        )
    assert caught.value.code == AftersalesError.REFUND_EXCEEDS_PAID
    assert caught.value.details == {"available_fen": 5_000, "amount_fen": 5_001}


def test_instant_refund_needs_refund_only_unshipped_labelled_and_at_most_the_limit() -> None:
    unshipped = _order(status="paid", shipped_at=None, delivered_at=None, paid_fen=800_000)
    assert instant_refund_applies(RequestKind.REFUND_ONLY, unshipped, 100, TERMS)
    over = _order(status="paid", shipped_at=None, delivered_at=None, paid_fen=800_001)
    assert not instant_refund_applies(RequestKind.REFUND_ONLY, over, 100, TERMS)
    unlabelled = _order(status="paid", shipped_at=None, delivered_at=None, instant_refund=False)
    assert not instant_refund_applies(RequestKind.REFUND_ONLY, unlabelled, 100, TERMS)
    assert not instant_refund_applies(RequestKind.REFUND_ONLY, _order(), 100, TERMS)  # shipped
    limit = Terms(instant_refund_max_fen=5_000)
    small = _order(status="paid", shipped_at=None, delivered_at=None, paid_fen=5_000)
    assert instant_refund_applies(RequestKind.REFUND_ONLY, small, 100, limit)


def test_insurance_pays_the_postage_up_to_the_tiers_cap() -> None:
    assert insurance_payout_fen(1_800, 2_400) == 1_800
    assert insurance_payout_fen(3_000, 2_400) == 2_400


@pytest.mark.parametrize("amount", [0, -5, 1.5, "100"])
def test_amounts_are_positive_integers_of_fen(amount: object) -> None:
    with pytest.raises(DomainError) as caught:
        validate_amount_fen(amount)  # type: ignore[arg-type]
    assert caught.value.code == AftersalesError.INVALID_REFUND

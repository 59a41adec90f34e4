"""The order state machine and trade arithmetic, without a database."""

from __future__ import annotations

import itertools

import pytest

from xingqu.shared.errors import DomainError, ErrorKind
from xingqu.shared.money import Money
from xingqu.trade.errors import TradeError
from xingqu.trade.rules import (
    ORDER_TRANSITIONS,
    OrderStatus,
    PaymentStatus,
    check_buyer_may_cancel,
    check_refund,
    check_transition,
    checkout_order_key,
    order_total,
    payment_status,
    validate_idempotency_key,
    validate_order_lines,
    validate_shipment,
)

S = OrderStatus
ALLOWED = {
    (S.PENDING_PAYMENT, S.PAID),
    (S.PENDING_PAYMENT, S.CANCELLED),
    (S.PAID, S.SHIPPED),
    (S.PAID, S.CANCELLED),
    (S.PAID, S.REFUNDED),
    (S.SHIPPED, S.DELIVERED),
    (S.SHIPPED, S.REFUNDED),
    (S.DELIVERED, S.COMPLETED),
    (S.DELIVERED, S.REFUNDED),
    (S.COMPLETED, S.REFUNDED),
}


def test_the_transition_table_is_exactly_the_documented_one() -> None:
    # given the table / then it allows these moves and no others
    table = {
        (current, target) for current, targets in ORDER_TRANSITIONS.items() for target in targets
    }
    assert table == ALLOWED
    assert set(ORDER_TRANSITIONS) == set(OrderStatus)


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_every_allowed_transition_passes(current: OrderStatus, target: OrderStatus) -> None:
    check_transition(current, target)  # does not raise


FORBIDDEN_SAMPLE = [
    (S.PENDING_PAYMENT, S.SHIPPED),  # shipping an unpaid order
    (S.PENDING_PAYMENT, S.REFUNDED),
    (S.PENDING_PAYMENT, S.COMPLETED),
    (S.CANCELLED, S.PAID),  # paying a cancelled order
    (S.CANCELLED, S.PENDING_PAYMENT),
    (S.PAID, S.PAID),
    (S.PAID, S.DELIVERED),
    (S.SHIPPED, S.CANCELLED),  # too late to cancel
    (S.SHIPPED, S.COMPLETED),
    (S.DELIVERED, S.SHIPPED),
    (S.COMPLETED, S.CANCELLED),
    (S.REFUNDED, S.PAID),
    (S.REFUNDED, S.REFUNDED),
]


@pytest.mark.parametrize(("current", "target"), FORBIDDEN_SAMPLE)
def test_forbidden_transitions_raise_a_conflict_naming_both_states(
    current: OrderStatus, target: OrderStatus
) -> None:
    with pytest.raises(DomainError) as caught:
        check_transition(current, target)
    assert caught.value.code == TradeError.INVALID_TRANSITION
    assert caught.value.kind == ErrorKind.CONFLICT
    assert caught.value.details == {"current": str(current), "target": str(target)}


def test_every_pair_outside_the_table_is_forbidden() -> None:
    for current, target in itertools.product(OrderStatus, OrderStatus):
        if (current, target) in ALLOWED:
            continue
        with pytest.raises(DomainError):
            check_transition(current, target)


def test_terminal_states_go_nowhere() -> None:
    assert ORDER_TRANSITIONS[S.CANCELLED] == frozenset()
    assert ORDER_TRANSITIONS[S.REFUNDED] == frozenset()


def test_a_buyer_cancels_only_an_unpaid_order() -> None:
    check_buyer_may_cancel(S.PENDING_PAYMENT)
    with pytest.raises(DomainError) as paid:
        check_buyer_may_cancel(S.PAID)
    assert paid.value.code == TradeError.CANCEL_NOT_ALLOWED
    with pytest.raises(DomainError) as shipped:
        check_buyer_may_cancel(S.SHIPPED)
    assert shipped.value.code == TradeError.INVALID_TRANSITION


def test_refunds_sum_up_to_the_amount_paid_and_never_beyond() -> None:
    paid = Money(10_000)
    check_refund(paid, Money(0), Money(4_000))
    check_refund(paid, Money(4_000), Money(6_000))  # exactly the rest
    with pytest.raises(DomainError) as caught:
        check_refund(paid, Money(4_000), Money(6_001))
    assert caught.value.code == TradeError.REFUND_EXCEEDS_PAID
    assert caught.value.details == {"paid_fen": 10_000, "refunded_fen": 4_000, "amount_fen": 6_001}


@pytest.mark.parametrize("amount", [Money(0), Money(-1), Money(100, "USD")])
def test_a_refund_is_positive_and_in_the_payments_currency(amount: Money) -> None:
    with pytest.raises(DomainError) as caught:
        check_refund(Money(10_000), Money(0), amount)
    assert caught.value.code == TradeError.INVALID_REFUND


def test_payment_status_follows_the_refunded_share() -> None:
    assert payment_status(Money(500), Money(0)) == PaymentStatus.CAPTURED
    assert payment_status(Money(500), Money(1)) == PaymentStatus.PARTIALLY_REFUNDED
    assert payment_status(Money(500), Money(500)) == PaymentStatus.REFUNDED


def test_order_total_is_the_sum_of_price_times_quantity() -> None:
    assert order_total([(Money(1_999), 3), (Money(1), 1)]) == Money(5_998)
    with pytest.raises(DomainError):
        order_total([(Money(100), 1), (Money(100, "USD"), 1)])


@pytest.mark.parametrize("key", ["", "a" * 65, "has space", "hash#tag", "中文"])
def test_bad_idempotency_keys_are_refused(key: str) -> None:
    with pytest.raises(DomainError) as caught:
        validate_idempotency_key(key)
    assert caught.value.code == TradeError.INVALID_IDEMPOTENCY_KEY


def test_checkout_keys_never_collide_with_client_keys() -> None:
    derived = checkout_order_key("abc", 7)
    assert derived == "abc#7"
    with pytest.raises(DomainError):
        validate_idempotency_key(derived)
    validate_idempotency_key("0b6f3c1e-7d4e-4a43-9a0e-cc1f8e2b5f10")


@pytest.mark.parametrize(
    "lines",
    [[], [(1, 1)] * 2, [(1, 0)], [(1, 1000)], [(i, 1) for i in range(51)]],
    ids=["empty", "duplicate-sku", "zero", "too-many-units", "too-many-lines"],
)
def test_bad_order_lines_are_refused(lines: list[tuple[int, int]]) -> None:
    with pytest.raises(DomainError) as caught:
        validate_order_lines(lines)
    assert caught.value.kind == ErrorKind.INVALID


def test_a_shipment_needs_a_carrier_and_a_tracking_number() -> None:
    validate_shipment("SF Express", "SF1")
    for carrier, tracking in [("", "SF1"), ("SF", " "), ("x" * 41, "SF1"), ("SF", "1" * 65)]:
        with pytest.raises(DomainError) as caught:
            validate_shipment(carrier, tracking)
        assert caught.value.code == TradeError.INVALID_SHIPMENT

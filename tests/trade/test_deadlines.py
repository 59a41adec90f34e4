"""Deadline and money rules of the trade terms, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from xingqu.trade.deadlines import (
    ShipPromise,
    auto_confirm_at,
    local_day_start,
    no_reason_return_ends,
    order_ship_by,
    passed,
    payment_deadline,
    settlement_due,
)
from xingqu.trade.rules import compensation_fen, order_insurance
from xingqu.trade.terms import CompensationKind, CompensationRule, InsuranceTier, Terms

TERMS = Terms()


def _local(day: int, hour: int, minute: int = 0) -> datetime:
    """A March 2026 local time (UTC+8) as UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def test_a_deadline_passes_only_after_it() -> None:
    deadline = _local(1, 12)
    assert not passed(deadline, deadline - timedelta(seconds=1))
    assert not passed(deadline, deadline)
    assert passed(deadline, deadline + timedelta(seconds=1))


def test_the_local_day_starts_at_midnight_china_time() -> None:
    assert local_day_start(_local(1, 0, 30), TERMS) == _local(1, 0)
    assert local_day_start(_local(1, 23, 59), TERMS) == _local(1, 0)


def test_an_order_is_paid_within_thirty_minutes() -> None:
    assert payment_deadline(_local(1, 9), TERMS) == _local(1, 9, 30)


@pytest.mark.parametrize(
    ("promise", "paid", "ship_by"),
    [
        (ShipPromise.WITHIN_HOURS, _local(1, 9), _local(3, 9)),  # 48 h
        (ShipPromise.SAME_DAY, _local(1, 15, 59), _local(2, 0)),  # before 16:00: that day
        (ShipPromise.SAME_DAY, _local(1, 16), _local(3, 0)),  # from 16:00: the next day
        (ShipPromise.NEXT_DAY, _local(1, 23), _local(3, 0)),  # by the end of the next day
    ],
)
def test_ship_by_follows_the_promise(
    promise: ShipPromise, paid: datetime, ship_by: datetime
) -> None:
    assert order_ship_by([(promise, 48)], paid, TERMS) == ship_by


def test_the_shortest_promise_of_an_order_binds_it() -> None:
    lines = [(ShipPromise.WITHIN_HOURS, 72), (ShipPromise.SAME_DAY, 0)]
    assert order_ship_by(lines, _local(1, 10), TERMS) == _local(2, 0)


def test_no_reason_returns_run_168_hours_from_midnight_after_signing() -> None:
    assert no_reason_return_ends(_local(1, 23, 59), TERMS) == _local(9, 0)
    assert no_reason_return_ends(_local(2, 0, 0), TERMS) == _local(10, 0)


def test_receipt_is_confirmed_ten_days_after_delivery() -> None:
    assert auto_confirm_at(_local(1, 10), TERMS) == _local(11, 10)


def test_settlement_waits_fifteen_days_after_receipt_and_the_no_reason_window() -> None:
    signed = _local(1, 10)
    assert settlement_due(_local(1, 11), signed, TERMS) == _local(16, 11)
    early = Terms(settle_after_days=1)
    assert settlement_due(_local(1, 11), signed, early) == _local(9, 0)


@pytest.mark.parametrize(
    ("paid", "coupon"),
    [
        (10_000, 200),
        (19_999, 200),
        (20_000, 200),
        (30_000, 300),
        (500_000, 5_000),
        (900_000, 5_000),
    ],
)
def test_a_late_shipment_coupon_is_1_percent_between_2_and_50_yuan(paid: int, coupon: int) -> None:
    assert compensation_fen(paid, TERMS.compensation[CompensationKind.LATE_SHIPMENT]) == coupon


def test_out_of_stock_and_fake_shipping_coupons_follow_their_rules() -> None:
    out_of_stock = TERMS.compensation[CompensationKind.OUT_OF_STOCK]
    fake = TERMS.compensation[CompensationKind.FAKE_SHIPPING]
    assert compensation_fen(10_000, out_of_stock) == 500
    assert compensation_fen(100_000_000, out_of_stock) == 100_000
    assert compensation_fen(1_000, fake) == 1_000  # the ¥10 floor
    assert compensation_fen(10_000, fake) == 3_000
    assert compensation_fen(10_000_000, fake) == 50_000


def test_an_order_is_insured_by_its_best_covered_product() -> None:
    assert order_insurance([]) == InsuranceTier.NONE
    assert order_insurance([InsuranceTier.SMALL, InsuranceTier.NONE]) == InsuranceTier.SMALL
    assert order_insurance(["upgraded", "large", "small"]) == InsuranceTier.LARGE


def test_terms_refuse_unsafe_values() -> None:
    with pytest.raises(ValueError):
        Terms(payment_window_minutes=0)
    with pytest.raises(ValueError):
        Terms(open_plan_max_bp=9_000)  # above the targeted maximum
    with pytest.raises(ValueError):
        CompensationRule(100, 500, 200)  # floor above cap


def test_the_terms_are_configured_from_the_environment_and_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pydantic import ValidationError

    from xingqu.config import Settings

    monkeypatch.setenv(
        "XINGQU_TRADE",
        '{"payment_window_minutes": 15, "compensation": {'
        '"late_shipment": {"rate_bp": 200, "floor_fen": 300, "cap_fen": 3000},'
        '"out_of_stock": {"rate_bp": 500, "floor_fen": 200, "cap_fen": 100000},'
        '"fake_shipping": {"rate_bp": 3000, "floor_fen": 1000, "cap_fen": 50000}}}',
    )
    terms = Settings().trade
    assert terms.payment_window_minutes == 15
    assert terms.compensation[CompensationKind.LATE_SHIPMENT] == CompensationRule(200, 300, 3_000)
    assert terms.no_reason_return_hours == 168  # the rest keep their defaults
    monkeypatch.setenv("XINGQU_TRADE", '{"instant_refund_max_fen": -1}')
    with pytest.raises(ValidationError):
        Settings()

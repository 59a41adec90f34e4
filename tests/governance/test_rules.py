"""Pure rules: the sanctions ladder and the score formulas."""

from datetime import UTC, datetime, timedelta

import pytest

from xingqu.governance.rules import SanctionLevel, level_for, plan_sanction
from xingqu.governance.scoring import (
    MerchantInputs,
    Sale,
    creator_reputation,
    merchant_score,
    stars_for_consumers,
)

NOW = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("points", "level"),
    [
        (0, SanctionLevel.WARNING),
        (3, SanctionLevel.WARNING),
        (4, SanctionLevel.TRAFFIC_LIMIT),
        (11, SanctionLevel.TRAFFIC_LIMIT),
        (12, SanctionLevel.PRODUCT_BAN),
        (24, SanctionLevel.SELLING_SUSPENSION),
        (47, SanctionLevel.SELLING_SUSPENSION),
        (48, SanctionLevel.SHOP_CLOSURE),
    ],
)
def test_the_ladder_climbs_with_points(points: int, level: SanctionLevel) -> None:
    assert level_for(points) == level


def test_repeat_violations_climb_the_ladder_and_a_ban_without_products_suspends() -> None:
    first = plan_sanction("medium", 0, NOW, has_products=True)
    third = plan_sanction("medium", 8, NOW, has_products=True)
    no_products = plan_sanction("high", 0, NOW, has_products=False)
    assert (first.level, first.points, first.ends_at) == (
        SanctionLevel.TRAFFIC_LIMIT,
        4,
        NOW + timedelta(days=7),
    )
    assert third.level == SanctionLevel.PRODUCT_BAN and third.ends_at is None
    assert no_products.level == SanctionLevel.SELLING_SUSPENSION
    assert first.appeal_until == NOW + timedelta(days=7)


def _inputs(**kw: object) -> MerchantInputs:
    values: dict[str, object] = {
        "paid_orders": 100, "stars": [5.0] * 10, "signed_orders": 100, "quality_returns": 0,
        "pickup_hours": [10.0], "due_waybills": 100, "on_time_waybills": 100,
        "aftersales_handled": None, "aftersales_in_sla": None, "response_minutes": None,
        "incidents": 0, "fake_orders": False,
    }  # fmt: skip
    values.update(kw)
    return MerchantInputs(**values)  # type: ignore[arg-type]


def test_a_shop_serving_well_scores_high_with_its_breakdown() -> None:
    result = merchant_score(_inputs())
    # product 100, logistics 100, service 80 (no data: the floor) → 94
    assert (result.stage, result.score) == ("formal", 94.0)
    assert result.dimensions == {"product": 100.0, "logistics": 100.0, "service": 80.0}
    assert [i.name for i in result.indicators if i.value is None] == [
        "aftersales_in_sla",
        "cs_response_minutes",
    ]


def test_deductions_and_the_floor() -> None:
    bad = _inputs(stars=[2.0], quality_returns=30, pickup_hours=[100.0], on_time_waybills=10)
    assert merchant_score(bad).score == 59.0  # 0.4·50 + 0.3·50 + 0.3·80
    assert merchant_score(_inputs(fake_orders=True, incidents=9)).deductions == 30
    worst = _inputs(
        stars=[1.0], quality_returns=50, pickup_hours=[200.0], on_time_waybills=0, fake_orders=True
    )
    assert merchant_score(worst).score == 50.0  # 59 − 15 is below the floor


def test_a_growth_stage_shop_has_the_default_unless_it_fails_a_line() -> None:
    assert merchant_score(_inputs(paid_orders=29)).score == 70.0
    assert merchant_score(_inputs(paid_orders=29, stars=[2.0])).score == 60.0
    assert merchant_score(_inputs(paid_orders=5, fake_orders=True)).stage == "growth"


def test_consumer_stars_follow_the_published_mapping() -> None:
    assert [stars_for_consumers(s) for s in (50, 55, 60, 64, 97, 100)] == [
        3.0,
        3.5,
        4.0,
        4.1,
        5.0,
        5.0,
    ]


def test_creator_reputation_has_a_floor_of_three_and_a_default_for_newcomers() -> None:
    good = [Sale(NOW - timedelta(days=d), 5.0, False, False) for d in range(10)]
    awful = [Sale(NOW - timedelta(days=d), 1.0, True, True) for d in range(10)]
    assert creator_reputation([], NOW)[0] == 4.5
    assert creator_reputation(good, NOW)[0] == 5.0
    assert creator_reputation(awful, NOW)[0] == 3.0
    mixed_recent_bad = [
        Sale(NOW, 1.0, True, True),
        Sale(NOW - timedelta(days=85), 5.0, False, False),
    ]
    mixed_recent_good = [
        Sale(NOW - timedelta(days=85), 1.0, True, True),
        Sale(NOW, 5.0, False, False),
    ]
    assert (
        creator_reputation(mixed_recent_bad, NOW)[0] < creator_reputation(mixed_recent_good, NOW)[0]
    )

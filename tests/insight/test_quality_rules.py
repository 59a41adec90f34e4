from datetime import UTC, date, datetime

import pytest

from xingqu.insight.rules import PaidOrderFacts, daily_quality_figures, quality_figures

DAY1 = datetime(2026, 3, 1, 10, tzinfo=UTC)
DAY2 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _order(order_id: int, **overrides: object) -> PaidOrderFacts:
    fields: dict[str, object] = {
        "order_id": order_id,
        "buyer_id": 1,
        "shop_id": 1,
        "paid_at": DAY1,
        "paid_fen": 10_000,
        "refunded_fen": 0,
        "rural_fen": 0,
        "complained": False,
        "worst_review": None,
        "first_at_shop": False,
        "returning_buyer": False,
        "new_category": False,
    }
    fields.update(overrides)
    return PaidOrderFacts(**fields)  # type: ignore[arg-type]


def test_quality_gmv_keeps_only_what_stayed_sold_and_pleased() -> None:
    # given four paid orders of ¥100: one partly refunded, one complained about, one with a
    # 2-star review, one clean from a new buyer at a new shop in a new category, half rural
    orders = [
        _order(1, refunded_fen=2_500, worst_review=5),
        _order(2, complained=True),
        _order(3, worst_review=2, buyer_id=2, returning_buyer=True),
        _order(4, buyer_id=3, first_at_shop=True, new_category=True, rural_fen=5_000),
    ]
    # when
    f = quality_figures(orders, reviews=[5, 2, 4])
    # then
    assert (f.orders, f.gmv_fen, f.refunded_fen, f.net_gmv_fen) == (4, 40_000, 2_500, 37_500)
    assert f.quality_gmv_fen == 7_500 + 10_000  # order 1's net and order 4
    assert f.rural_gmv_fen == 5_000
    assert (f.refund_rate, f.complaint_rate) == (0.25, 0.25)
    assert f.good_review_rate == pytest.approx(2 / 3) and f.reviews == 3
    assert f.repurchase_rate == pytest.approx(1 / 3)  # buyers 1, 2, 3; only 2 bought before
    assert (f.new_customer_share, f.discovery_rate) == (0.25, 0.25)


def test_a_refund_never_counts_for_more_than_was_paid_and_empty_periods_are_zero() -> None:
    f = quality_figures([_order(1, refunded_fen=99_999)], reviews=[])
    assert (f.net_gmv_fen, f.quality_gmv_fen, f.good_review_rate) == (0, 0, 0.0)
    empty = quality_figures([], reviews=[])
    assert (empty.orders, empty.gmv_fen, empty.refund_rate, empty.repurchase_rate) == (
        0,
        0,
        0.0,
        0.0,
    )


def test_daily_figures_bucket_orders_and_reviews_by_day() -> None:
    days = daily_quality_figures(
        [_order(1), _order(2, paid_at=DAY2), _order(3, paid_at=DAY2)], [(DAY2, 5)]
    )
    assert [(d.day, d.orders, d.gmv_fen, d.reviews) for d in days] == [
        (date(2026, 3, 1), 1, 10_000, 0),
        (date(2026, 3, 2), 2, 20_000, 1),
    ]

"""Pure score formulas: the merchant experience score and the creator reputation score. No I/O.

Merchant experience score (after the platform's rule 103956): six indicators over 30 days, each
scored 50–100 in bands (pickup time banded per order, then averaged), averaged into three dimensions (product, logistics, service), weighted
0.4 / 0.3 / 0.3, minus deductions for confirmed violations; 50–100 for a shop in the formal
stage. A shop with fewer than 30 paid orders in 30 days is in the growth stage: a fixed 70, or 60
with a confirmed fake-order case or an indicator below the qualifying line (60). An indicator
without data scores 80 (the platform's small-shop floor) and says so.

Creator reputation (带货口碑分): a 5-point score, floor 3, over 90 days weighted by recency
(half-life 30 days): product quality (stars of the products the creator sold), truthfulness
(complaints per sale) and service (refunds per sale). A creator with no sales yet scores 4.5.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

GROWTH_ORDERS = 30
GROWTH_SCORE = 70.0
GROWTH_PENALISED = 60.0
QUALIFYING_LINE = 60
NO_DATA = 80
WEIGHTS = {"product": 0.4, "logistics": 0.3, "service": 0.3}
DEDUCTION_PER_INCIDENT = 3
DEDUCTION_CAP = 15
FAKE_ORDER_DEDUCTION = 15
CREATOR_FLOOR = 3.0
CREATOR_DEFAULT = 4.5
CREATOR_HALF_LIFE = timedelta(days=30)


def _band(value: float, cuts: Sequence[float], *, higher_is_better: bool) -> int:
    """100, 90, 80, 70, 60 for the first cut `value` meets; 50 below the last."""
    for score, cut in zip((100, 90, 80, 70, 60), cuts, strict=True):
        if (value >= cut) if higher_is_better else (value <= cut):
            return score
    return 50


def rating_score(stars: float) -> int:
    return _band(stars, (4.8, 4.6, 4.4, 4.2, 4.0), higher_is_better=True)


def quality_return_score(rate: float) -> int:
    return _band(rate, (0.01, 0.02, 0.03, 0.05, 0.08), higher_is_better=False)


def pickup_score(hours: float) -> int:
    return _band(hours, (12, 24, 36, 48, 72), higher_is_better=False)


def on_time_score(rate: float) -> int:
    return _band(rate, (0.98, 0.95, 0.90, 0.85, 0.80), higher_is_better=True)


def aftersales_score(rate: float) -> int:
    return _band(rate, (0.98, 0.95, 0.90, 0.85, 0.80), higher_is_better=True)


def response_score(minutes: float) -> int:
    return _band(minutes, (1, 3, 5, 10, 15), higher_is_better=False)


@dataclass(frozen=True, slots=True)
class MerchantInputs:
    paid_orders: int
    stars: list[float]  # review stars on the shop's products
    signed_orders: int  # delivered
    quality_returns: int  # orders whose first after-sales request gave a quality reason
    pickup_hours: list[float]  # per order: payment → picked up by the carrier
    due_waybills: int  # deliveries due
    on_time_waybills: int  # of which delivered on time
    aftersales_handled: int | None  # refund requests decided (None: no data source)
    aftersales_in_sla: int | None
    response_minutes: list[float] | None  # customer-service first responses (None: no source)
    incidents: int  # confirmed cases (other than fake orders) in the window
    fake_orders: bool  # a confirmed brushing or review-manipulation case in the window


@dataclass(frozen=True, slots=True)
class Indicator:
    name: str
    value: float | None
    score: int

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "value": self.value, "score": self.score}


@dataclass(frozen=True, slots=True)
class MerchantScore:
    score: float
    stage: str  # growth, formal
    dimensions: dict[str, float]
    indicators: list[Indicator]
    deductions: int

    def breakdown(self) -> dict[str, object]:
        return {
            "stage": self.stage,
            "dimensions": self.dimensions,
            "indicators": [i.as_dict() for i in self.indicators],
            "deductions": self.deductions,
        }


def merchant_score(x: MerchantInputs) -> MerchantScore:
    def ind(name: str, value: float | None, scorer: object) -> Indicator:
        if value is None:
            return Indicator(name, None, NO_DATA)
        return Indicator(name, round(value, 4), scorer(value))  # type: ignore[operator]

    rating = sum(x.stars) / len(x.stars) if x.stars else None
    returns = x.quality_returns / x.signed_orders if x.signed_orders else None
    pickup = sum(x.pickup_hours) / len(x.pickup_hours) if x.pickup_hours else None
    pickup_band = (
        round(sum(pickup_score(h) for h in x.pickup_hours) / len(x.pickup_hours))
        if x.pickup_hours
        else NO_DATA
    )
    on_time = x.on_time_waybills / x.due_waybills if x.due_waybills else None
    sla = (
        x.aftersales_in_sla / x.aftersales_handled
        if x.aftersales_handled and x.aftersales_in_sla is not None
        else None
    )
    response = sum(x.response_minutes) / len(x.response_minutes) if x.response_minutes else None
    groups = {
        "product": [ind("rating", rating, rating_score), ind("quality_return_rate", returns, quality_return_score)],
        "logistics": [ind("pickup_hours", pickup, lambda _: pickup_band), ind("on_time_delivery", on_time, on_time_score)],
        "service": [ind("aftersales_in_sla", sla, aftersales_score), ind("cs_response_minutes", response, response_score)],
    }  # fmt: skip
    dimensions = {k: sum(i.score for i in v) / len(v) for k, v in groups.items()}
    indicators = [i for v in groups.values() for i in v]
    deductions = min(DEDUCTION_CAP, DEDUCTION_PER_INCIDENT * x.incidents)
    deductions += FAKE_ORDER_DEDUCTION if x.fake_orders else 0
    if x.paid_orders < GROWTH_ORDERS:
        failing = x.fake_orders or any(
            i.value is not None and i.score < QUALIFYING_LINE for i in indicators
        )
        score = GROWTH_PENALISED if failing else GROWTH_SCORE
        return MerchantScore(score, "growth", dimensions, indicators, deductions)
    raw = sum(WEIGHTS[k] * v for k, v in dimensions.items()) - deductions
    return MerchantScore(
        round(min(100.0, max(50.0, raw)), 1), "formal", dimensions, indicators, deductions
    )


def stars_for_consumers(score: float) -> float:
    """The stars a consumer sees: 50 → 3.0, +0.1 per point to 60; above, +0.1 per 4 points,
    97–100 → 5.0."""
    if score <= 60:
        return round(3.0 + 0.1 * int(max(score, 50) - 50), 1)
    return round(min(5.0, 4.0 + 0.1 * math.ceil((score - 60) / 4)), 1)


@dataclass(frozen=True, slots=True)
class Sale:
    at: datetime
    stars: float | None
    complained: bool
    refunded: bool


def creator_reputation(sales: Sequence[Sale], now: datetime) -> tuple[float, dict[str, object]]:
    if not sales:
        return CREATOR_DEFAULT, {"sales": 0, "no_data": True}
    weights = [0.5 ** ((now - s.at) / CREATOR_HALF_LIFE) for s in sales]
    total = sum(weights)
    rated = [(w, s.stars) for w, s in zip(weights, sales, strict=True) if s.stars is not None]
    product = (
        3 + 2 * (sum(w * (st - 1) / 4 for w, st in rated) / sum(w for w, _ in rated))
        if rated
        else CREATOR_DEFAULT
    )
    complaint_rate = sum(w for w, s in zip(weights, sales, strict=True) if s.complained) / total
    refund_rate = sum(w for w, s in zip(weights, sales, strict=True) if s.refunded) / total
    truthfulness = 5 - 2 * min(1.0, complaint_rate * 5)
    service = 5 - 2 * min(1.0, refund_rate * 2.5)
    score = max(CREATOR_FLOOR, (product + truthfulness + service) / 3)
    return round(score, 2), {
        "sales": len(sales),
        "product_quality": round(product, 3),
        "truthfulness": round(truthfulness, 3),
        "service": round(service, 3),
        "complaint_rate": round(complaint_rate, 4),
        "refund_rate": round(refund_rate, 4),
        "half_life_days": CREATOR_HALF_LIFE.days,
        "no_data": False,
    }

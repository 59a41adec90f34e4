"""Quality-GMV figures as pure functions of the facts of each paid order. No I/O.

Quality GMV is GMV that stays sold. For a period (orders by the time they were paid):

- `gmv_fen`: what buyers paid;
- `net_gmv_fen`: paid minus refunded;
- `quality_gmv_fen`: net GMV of the orders that drew neither a complaint nor a bad review
  (≤ `BAD_REVIEW_STARS` stars) — a sale that stays sold *and* left the buyer content;
- `refund_rate`: share of paid orders with any refund;
- `complaint_rate`: share of paid orders with a complaint;
- `good_review_rate`: share of reviews with ≥ `GOOD_REVIEW_STARS` stars (NaN-free: 0 without
  reviews);
- `repurchase_rate`: share of the period's buyers who had paid for an order before, anywhere;
- `new_customer_share`: share of paid orders that are the buyer's first at that shop;
- `discovery_rate`: share of paid orders in a category the buyer had never bought from nor
  engaged with before (what the feed found for them);
- `rural_gmv_fen`: GMV of products in the agricultural support programme.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

GOOD_REVIEW_STARS = 4
BAD_REVIEW_STARS = 2


@dataclass(frozen=True, slots=True)
class PaidOrderFacts:
    order_id: int
    buyer_id: int
    shop_id: int
    paid_at: datetime
    paid_fen: int
    refunded_fen: int
    rural_fen: int  # the part of paid_fen for programme (助农) products
    complained: bool
    worst_review: int | None  # the lowest star rating given to the order's products, if any
    first_at_shop: bool  # the buyer's first paid order at this shop
    returning_buyer: bool  # the buyer had paid for an order before this one (any shop)
    new_category: bool  # the buyer had never bought from nor engaged with its category


@dataclass(frozen=True, slots=True)
class QualityFigures:
    day: date | None  # None: the whole range
    orders: int
    gmv_fen: int
    net_gmv_fen: int
    quality_gmv_fen: int
    refunded_fen: int
    rural_gmv_fen: int
    refund_rate: float
    complaint_rate: float
    good_review_rate: float
    reviews: int
    repurchase_rate: float
    new_customer_share: float
    discovery_rate: float


def quality_figures(
    orders: Sequence[PaidOrderFacts], reviews: Sequence[int], *, day: date | None = None
) -> QualityFigures:
    """The figures of one period: its paid orders and the star ratings given in it."""
    n = len(orders)
    gmv = sum(o.paid_fen for o in orders)
    refunded = sum(min(o.refunded_fen, o.paid_fen) for o in orders)
    quality = sum(
        o.paid_fen - min(o.refunded_fen, o.paid_fen)
        for o in orders
        if not o.complained and (o.worst_review is None or o.worst_review > BAD_REVIEW_STARS)
    )
    buyers = {o.buyer_id for o in orders}
    returning = {o.buyer_id for o in orders if o.returning_buyer}
    return QualityFigures(
        day=day,
        orders=n,
        gmv_fen=gmv,
        net_gmv_fen=gmv - refunded,
        quality_gmv_fen=quality,
        refunded_fen=refunded,
        rural_gmv_fen=sum(o.rural_fen for o in orders),
        refund_rate=_share(sum(1 for o in orders if o.refunded_fen > 0), n),
        complaint_rate=_share(sum(1 for o in orders if o.complained), n),
        good_review_rate=_share(sum(1 for s in reviews if s >= GOOD_REVIEW_STARS), len(reviews)),
        reviews=len(reviews),
        repurchase_rate=_share(len(returning), len(buyers)),
        new_customer_share=_share(sum(1 for o in orders if o.first_at_shop), n),
        discovery_rate=_share(sum(1 for o in orders if o.new_category), n),
    )


def daily_quality_figures(
    orders: Iterable[PaidOrderFacts], reviews: Iterable[tuple[datetime, int]]
) -> list[QualityFigures]:
    """One `QualityFigures` per calendar day (UTC) that has a paid order or a review, in order."""
    by_day: dict[date, list[PaidOrderFacts]] = {}
    for order in orders:
        by_day.setdefault(order.paid_at.date(), []).append(order)
    stars_by_day: dict[date, list[int]] = {}
    for at, stars in reviews:
        stars_by_day.setdefault(at.date(), []).append(stars)
    days = sorted(set(by_day) | set(stars_by_day))
    return [quality_figures(by_day.get(d, []), stars_by_day.get(d, []), day=d) for d in days]


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def every_day(figures: Sequence[QualityFigures], first: date, last: date) -> list[QualityFigures]:
    """`figures` (one per day with activity) with the quiet days between `first` and `last`
    filled in as empty periods, so a chart's x axis is time, not activity."""
    by_day = {f.day: f for f in figures if f.day is not None}
    out: list[QualityFigures] = []
    day = first
    while day <= last:
        out.append(by_day.get(day) or quality_figures([], [], day=day))
        day += timedelta(days=1)
    return out

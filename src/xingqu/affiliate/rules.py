"""Pure affiliate rules: plan kinds and their rate ranges, which plan applies to a creator, the
shop-score gate of the programme, which content touch earns an order line. No I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from xingqu.affiliate.errors import AffiliateError
from xingqu.shared.errors import conflict, invalid
from xingqu.trade.rules import parse_choice
from xingqu.trade.terms import CreatorRating, Terms


class PlanKind(StrEnum):
    OPEN = "open"  # every creator may promote the product
    TARGETED = "targeted"  # one named creator, at a rate an open plan may not offer


class PlanStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


class CommissionStatus(StrEnum):
    PENDING = "pending"  # attributed; the order is not settled yet
    SETTLED = "settled"  # booked to the creator's account
    CLAWED_BACK = "clawed_back"  # settled, then refunded in full: nothing is left to the creator
    CANCELLED = "cancelled"  # the order was cancelled or refunded in full before settlement


PLAN_PRECEDENCE = (PlanKind.TARGETED, PlanKind.OPEN)
"""A plan naming the creator wins over the open plan (the platform's precedence, shortened)."""


def check_plan_rate(kind: PlanKind, rate_bp: int, terms: Terms) -> None:
    """Open plans offer `open_plan_min_bp`..`open_plan_max_bp` (5–50 %); targeted plans up to
    `targeted_plan_max_bp` (80 %)."""
    top = terms.open_plan_max_bp if kind == PlanKind.OPEN else terms.targeted_plan_max_bp
    if type(rate_bp) is not int or not terms.open_plan_min_bp <= rate_bp <= top:
        raise invalid(
            AffiliateError.RATE_OUT_OF_RANGE,
            f"a {kind} plan's rate is {terms.open_plan_min_bp / 100:g}–{top / 100:g} %, "
            f"got {rate_bp!r} basis points",
            min_bp=terms.open_plan_min_bp,
            max_bp=top,
        )


@dataclass(frozen=True, slots=True)
class PlanOffer:
    plan_id: int
    kind: PlanKind
    creator_id: int | None
    rate_bp: int
    created_at: datetime


def applicable_plan(offers: Sequence[PlanOffer], creator_id: int) -> PlanOffer | None:
    """The plan that pays `creator_id`: a targeted plan naming them, else the open plan; among
    plans of one kind the highest rate (then the newest)."""
    for kind in PLAN_PRECEDENCE:
        mine = [
            o
            for o in offers
            if o.kind == kind and (kind == PlanKind.OPEN or o.creator_id == creator_id)
        ]
        if mine:
            return max(mine, key=lambda o: (o.rate_bp, o.created_at, o.plan_id))
    return None


def passes_shop_gate(shop_score: float, terms: Terms) -> bool:
    """A shop takes part in the programme while its experience score is at least
    `Terms.affiliate_min_shop_score` (the platform's gate: ≥ 70)."""
    return shop_score >= terms.affiliate_min_shop_score


def check_shop_gate(shop_id: int, shop_score: float, terms: Terms) -> None:
    """`affiliate.shop_below_gate` (a conflict) for a shop under the gate."""
    if not passes_shop_gate(shop_score, terms):
        raise conflict(
            AffiliateError.SHOP_BELOW_GATE,
            f"shop {shop_id}'s experience score is {shop_score:g}; the affiliate programme needs "
            f"at least {terms.affiliate_min_shop_score}",
            shop_id=shop_id,
            score=shop_score,
            min_score=terms.affiliate_min_shop_score,
        )


def attribution_window_starts(placed_at: datetime, terms: Terms) -> datetime:
    """Touches from this moment on count (the last one wins)."""
    return placed_at - timedelta(days=terms.attribution_days)


def creator_fee_bp(rating: CreatorRating | None, terms: Terms) -> int:
    return terms.creator_fee_bp[rating or CreatorRating.B]


def parse_rating(rating: str) -> CreatorRating:
    return parse_choice(CreatorRating, rating, "rating", AffiliateError.INVALID_RATING)

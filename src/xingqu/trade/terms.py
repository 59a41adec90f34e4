"""The platform's trade terms: every window and amount of the order timers, purchase guarantees,
settlement and affiliate programme, in one frozen value (configured by `Settings.trade`).

Durations are whole hours, minutes or days; amounts are fen; rates are basis points (1 bp =
0.01 %, so 100 bp = 1 %). Local times (the same-day cut-off, "the day after signing") are in the
platform's local time zone, `utc_offset_hours` east of UTC (China: +8).

Pure: no I/O. Services take `terms: Terms = DEFAULT_TERMS`; surfaces pass `settings.trade`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum


class CompensationKind(StrEnum):
    """Why a buyer was compensated with a coupon funded by the merchant."""

    LATE_SHIPMENT = "late_shipment"
    OUT_OF_STOCK = "out_of_stock"
    FAKE_SHIPPING = "fake_shipping"


class InsuranceTier(StrEnum):
    """Return-shipping insurance a product carries (bought by the merchant)."""

    NONE = "none"
    SMALL = "small"
    UPGRADED = "upgraded"
    LARGE = "large"


class CreatorRating(StrEnum):
    """A creator's operating rating; it sets the platform's service fee on their commission."""

    A = "A"
    B_PLUS = "B+"
    B = "B"
    C = "C"
    D = "D"


@dataclass(frozen=True, slots=True)
class CompensationRule:
    """A coupon worth `rate_bp` of the paid amount, at least `floor_fen`, at most `cap_fen`."""

    rate_bp: int
    floor_fen: int
    cap_fen: int

    def __post_init__(self) -> None:
        if not (0 <= self.rate_bp <= 10_000 and 0 <= self.floor_fen <= self.cap_fen):
            raise ValueError(f"a compensation rule needs 0 ≤ rate ≤ 100 % and floor ≤ cap: {self}")


def _compensation() -> dict[CompensationKind, CompensationRule]:
    return {
        CompensationKind.LATE_SHIPMENT: CompensationRule(100, 200, 5_000),  # 1 %, ¥2–50
        CompensationKind.OUT_OF_STOCK: CompensationRule(500, 200, 100_000),  # 5 %, ¥2–1,000
        CompensationKind.FAKE_SHIPPING: CompensationRule(3_000, 1_000, 50_000),  # 30 %, ¥10–500
    }


def _insurance_caps() -> dict[InsuranceTier, int]:
    return {
        InsuranceTier.NONE: 0,
        InsuranceTier.SMALL: 2_400,
        InsuranceTier.UPGRADED: 5_000,
        InsuranceTier.LARGE: 100_000,
    }


def _creator_fees() -> dict[CreatorRating, int]:
    return {
        CreatorRating.A: 1_000,
        CreatorRating.B_PLUS: 1_000,
        CreatorRating.B: 1_000,
        CreatorRating.C: 2_000,
        CreatorRating.D: 4_000,
    }


@dataclass(frozen=True, slots=True)
class Terms:
    # --- orders and fulfilment
    utc_offset_hours: int = 8
    """The platform's local time zone (hours east of UTC)."""
    payment_window_minutes: int = 30
    """An order not paid within this many minutes of placement is cancelled and its stock freed."""
    default_ship_within_hours: int = 48
    """The shipping promise of a product whose merchant set none."""
    same_day_cutoff_hour: int = 16
    """'Same-day' products paid before this local hour ship that day, later ones the next day."""
    fake_shipping_hours: int = 48
    """A shipment with no carrier scan this many hours after it was declared is fake shipping."""
    deliver_within_hours: int = 72
    """A shipped parcel is delivered on time when it is signed for within this long of shipping."""
    auto_confirm_days: int = 10
    """A delivered order the buyer has not confirmed is confirmed this many days after delivery."""
    compensation: dict[CompensationKind, CompensationRule] = field(default_factory=_compensation)

    # --- after-sales
    aftersales_window_days: int = 15
    """After-sales requests (other than no-reason returns) are accepted this many days after
    delivery (and at any time before delivery)."""
    no_reason_return_hours: int = 168
    """7-day no-reason return: counted from 00:00 local time of the day after signing."""
    instant_refund_max_fen: int = 800_000
    """Refund-only requests on unshipped orders paid at most this much are approved at once."""
    merchant_response_hours: int = 48
    """A request the merchant leaves unanswered this long is approved automatically."""
    return_ship_hours: int = 168
    """After a return is approved the buyer has this long to send the goods back."""
    return_receive_hours: int = 168
    """After the buyer sent a return, the merchant has this long to confirm receipt (else the
    platform confirms it and the refund is made)."""
    escalation_hours: int = 168
    """A buyer may escalate a rejected request to the platform this long after the rejection."""
    insurance_claim_days: int = 90
    """Return-shipping insurance is claimed within this many days of the order's shipment."""
    insurance_caps_fen: dict[InsuranceTier, int] = field(default_factory=_insurance_caps)

    # --- customer service
    ticket_first_response_hours: int = 12
    """The merchant answers a new ticket within this long (the first-response goal)."""
    ticket_resolution_hours: int = 72
    """A ticket is resolved within this long, or it is escalated to the platform."""

    # --- settlement and affiliate programme
    settle_after_days: int = 15
    """An order is settled (merchant and creator credited) this many days after confirmed
    receipt, once its no-reason return window has closed and no request is open."""
    merchant_fee_bp: int = 500
    """The platform's service fee on the settled amount of every order."""
    open_plan_min_bp: int = 500
    open_plan_max_bp: int = 5_000
    targeted_plan_max_bp: int = 8_000
    attribution_days: int = 15
    """The last content touch within this many days before the order earns the commission."""
    affiliate_min_shop_score: int = 70
    """A shop takes part in the affiliate programme (publishes plans, has its products selected)
    while its merchant experience score is at least this (the platform's gate: 70)."""
    creator_fee_bp: dict[CreatorRating, int] = field(default_factory=_creator_fees)
    """The platform's service fee on commission, by the creator's rating."""
    creator_reserve_bp: int = 500
    """A payout to a creator keeps back this share of their last `creator_reserve_days` of
    settled commission, from which later refunds are clawed back."""
    creator_reserve_days: int = 15

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, int) and not isinstance(value, bool) and value < 0:
                raise ValueError(f"trade terms: {f.name} must not be negative, got {value}")
        if not -12 <= self.utc_offset_hours <= 14:
            raise ValueError("trade terms: utc_offset_hours must be within -12..14")
        if not 0 <= self.same_day_cutoff_hour <= 24:
            raise ValueError("trade terms: same_day_cutoff_hour must be within 0..24")
        if self.payment_window_minutes < 1:
            raise ValueError("trade terms: payment_window_minutes must be at least 1")
        if not self.open_plan_min_bp <= self.open_plan_max_bp <= self.targeted_plan_max_bp:
            raise ValueError("trade terms: plan rates need open min ≤ open max ≤ targeted max")
        if self.affiliate_min_shop_score > 100:
            raise ValueError("trade terms: affiliate_min_shop_score is a score, 0..100")
        if self.targeted_plan_max_bp + self.merchant_fee_bp > 10_000:
            raise ValueError("trade terms: the largest commission plus the fee exceeds 100 %")
        for bp in (*self.creator_fee_bp.values(), self.merchant_fee_bp):
            if not 0 <= bp <= 10_000:
                raise ValueError("trade terms: fees are 0..10000 basis points")
        missing = set(CreatorRating) - set(self.creator_fee_bp)
        missing_caps = set(InsuranceTier) - set(self.insurance_caps_fen)
        missing_rules = set(CompensationKind) - set(self.compensation)
        if missing or missing_caps or missing_rules:
            raise ValueError(
                "trade terms: every rating, insurance tier and compensation kind needs a value"
            )


DEFAULT_TERMS = Terms()

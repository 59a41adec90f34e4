"""How simulated people behave: pure functions of a random generator and their latent state.

Consumers react to what the feed shows them according to their latent interest in the item's
category (plus a little curiosity), their price sensitivity and their activity; merchants ship
after a delay that depends on their quality and approve refunds at a quality-dependent rate; the
carrier delivers a day or two after shipping. No I/O here: the runner applies the decisions
through the platform's services.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

CURIOSITY = 0.03
"""Everyone has a little interest in everything: without it nobody would ever try a new category."""

CARRIERS = ("SF Express", "ZTO Express", "YTO Express", "JD Logistics", "China Post EMS")
REFUND_REASONS_DEFECT = ("defective item", "not as described", "damaged in transit")
REFUND_REASON_CHANGED_MIND = "changed my mind"


@dataclass(frozen=True, slots=True)
class Shopper:
    """A consumer's latent state (ground truth the platform never sees)."""

    user_id: int
    interests: dict[int, float]  # category id -> weight
    price_sensitivity: float
    activity: float

    def affinity(self, category_id: int) -> float:
        return self.interests.get(category_id, 0.0) + CURIOSITY


@dataclass(frozen=True, slots=True)
class Seller:
    """A merchant's latent service quality (ground truth)."""

    user_id: int
    shop_id: int
    quality: float
    ship_delay_days: int
    defect_rate: float
    approve_rate: float


@dataclass(frozen=True, slots=True)
class Reaction:
    """What a consumer does with one feed item."""

    watch_s: int
    like: bool
    share: bool
    follow: bool
    clicked_product: int | None  # index into the item's products
    buys: bool
    via_cart: bool
    quantity: int


# --- consumers ---------------------------------------------------------------------------------


def opens_app(rng: random.Random, shopper: Shopper) -> bool:
    return rng.random() < shopper.activity


def sessions_today(rng: random.Random, shopper: Shopper) -> int:
    """How many times an active consumer opens the feed today (1–3, more for heavy users)."""
    return 1 + (rng.random() < shopper.activity * 0.5) + (rng.random() < shopper.activity * 0.2)


def watch_seconds(rng: random.Random, affinity: float, kind: str, duration_s: int) -> int:
    """Seconds spent on an item: more for categories the consumer cares about."""
    share = min(1.0, max(0.0, 0.06 + 1.8 * affinity + rng.gauss(0.0, 0.08)))
    if kind == "post":  # an image post: a few seconds of reading (players report at most 5 s)
        return max(1, round(1 + 4 * share))
    if kind == "live":
        return max(1, min(duration_s, round(rng.lognormvariate(math.log(20 + 900 * share), 0.5))))
    return max(1, round(max(duration_s, 5) * share))


def buy_probability(
    affinity: float, price_fen: int, typical_price_fen: int, price_sensitivity: float
) -> float:
    """The chance that a consumer who clicked a product buys it.

    Rises with interest; falls with the price relative to what the category usually costs
    (steeply for price-sensitive people) and, gently, with the absolute price.
    """
    relative = max(price_fen, 1) / max(typical_price_fen, 1)
    price_factor = relative ** (-1.5 * price_sensitivity)
    absolute_factor = (10_000 / max(price_fen, 1)) ** 0.15
    p = (0.04 + 0.7 * affinity) * price_factor * absolute_factor
    return min(0.9, max(0.0, p))


def react(
    rng: random.Random,
    shopper: Shopper,
    *,
    category_id: int,
    kind: str,
    duration_s: int,
    product_prices: list[tuple[int, int]],  # (price_fen, typical_price_fen) of the mounted products
    follows_creator: bool,
) -> Reaction:
    affinity = shopper.affinity(category_id)
    watched = watch_seconds(rng, affinity, kind, duration_s)
    like = rng.random() < 0.02 + 0.45 * affinity
    share = rng.random() < 0.003 + 0.08 * affinity
    follow = not follows_creator and rng.random() < 0.001 + 0.05 * affinity
    clicked: int | None = None
    buys = via_cart = False
    quantity = 1
    if product_prices and rng.random() < 0.02 + 0.55 * affinity:
        clicked = rng.randrange(len(product_prices))
        price, typical = product_prices[clicked]
        buys = rng.random() < buy_probability(affinity, price, typical, shopper.price_sensitivity)
        via_cart = buys and rng.random() < 0.3
        if buys and price < 5_000 and rng.random() < 0.25:
            quantity = 2
    return Reaction(watched, like, share, follow, clicked, buys, via_cart, quantity)


def pays_at_once(rng: random.Random) -> bool:
    """Most buyers pay right after ordering; a few leave the order unpaid for later."""
    return rng.random() < 0.93


def pays_late(rng: random.Random) -> bool:
    """An order left unpaid is paid the next day, or else cancelled by the buyer."""
    return rng.random() < 0.35


def changes_mind(rng: random.Random) -> bool:
    """A buyer asks for a refund of a paid order before it ships."""
    return rng.random() < 0.02


def finds_fault(rng: random.Random, seller: Seller) -> bool:
    """A delivered order turns out faulty (more often from low-quality merchants)."""
    return rng.random() < seller.defect_rate


def confirms_receipt_today(rng: random.Random) -> bool:
    return rng.random() < 0.7


def review_stars(rng: random.Random, seller: Seller) -> int:
    """A review rating (1–5) for a completed order, centred on the merchant's quality."""
    return max(1, min(5, round(1.5 + 3.5 * seller.quality + rng.gauss(0.0, 0.7))))


def writes_review(rng: random.Random) -> bool:
    return rng.random() < 0.3


def complains(rng: random.Random) -> bool:
    """A buyer whose refund was rejected files a complaint."""
    return rng.random() < 0.6


# --- merchants and the carrier ----------------------------------------------------------------


def ships_today(rng: random.Random, seller: Seller, days_since_paid: int) -> bool:
    """Ship once the merchant's usual delay has passed (low-quality ones sometimes slip a day)."""
    if days_since_paid < seller.ship_delay_days:
        return False
    if days_since_paid == seller.ship_delay_days:
        return rng.random() < 0.5 + 0.5 * seller.quality
    return True


def delivered_today(rng: random.Random, days_since_shipped: int) -> bool:
    if days_since_shipped <= 0:
        return False
    return days_since_shipped >= 2 or rng.random() < 0.6


def approves_refund(rng: random.Random, seller: Seller, reason: str) -> bool:
    """Refunds before shipping are nearly always approved; others at the merchant's own rate."""
    rate = 0.97 if reason == REFUND_REASON_CHANGED_MIND else seller.approve_rate
    return rng.random() < rate


def commission_rate_bp(rng: random.Random, seller: Seller) -> int:
    """The open plan a merchant offers: 10–30 %, lower-quality shops paying creators more."""
    return int(1_000 + 2_000 * (1 - seller.quality) * rng.random()) // 100 * 100


def carrier(rng: random.Random) -> str:
    return rng.choice(CARRIERS)


def tracking_number(rng: random.Random) -> str:
    return f"SIM{rng.randrange(10**11, 10**12)}"

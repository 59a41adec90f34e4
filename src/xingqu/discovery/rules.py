"""Pure discovery rules: behaviour actions and their checks, the interest-profile and popularity
math, and the baseline feed's channel mix. No I/O."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

import numpy as np

from xingqu.discovery.errors import DiscoveryError
from xingqu.shared.errors import invalid

T = TypeVar("T")


class Action(StrEnum):
    IMPRESSION = "impression"  # a feed (or a client) showed the content
    WATCH = "watch"  # value: seconds watched
    LIKE = "like"
    SHARE = "share"
    FOLLOW = "follow"
    PRODUCT_CLICK = "product_click"
    ADD_TO_CART = "add_to_cart"  # value: units
    ORDER = "order"  # value: units
    PAY = "pay"
    REFUND = "refund"
    COMPLAINT = "complaint"
    REVIEW = "review"  # value: stars, 1..5


CLIENT_ACTIONS = frozenset(
    {
        Action.IMPRESSION,
        Action.WATCH,
        Action.LIKE,
        Action.SHARE,
        Action.PRODUCT_CLICK,
        Action.COMPLAINT,
        Action.REVIEW,
    }
)
"""What a client reports itself. The rest (cart, order, pay, refund, follow) are facts that the
behaviour log records from trade, after-sales and content events, so that they cannot be faked."""

_NEEDS_CONTENT = frozenset({Action.IMPRESSION, Action.WATCH, Action.LIKE, Action.SHARE})
_NEEDS_PRODUCT = frozenset({Action.PRODUCT_CLICK, Action.REVIEW})
_VALUELESS = frozenset(
    {Action.IMPRESSION, Action.LIKE, Action.SHARE, Action.PRODUCT_CLICK, Action.COMPLAINT}
)

WATCH_SLACK_S = 5.0
"""Players report a little past the end (buffering, loops): a watch may exceed the duration by
this many seconds or 10%, whichever is more."""

MAX_REQUEST_ID = 64


def parse_action(action: str) -> Action:
    try:
        return Action(action)
    except ValueError:
        names = ", ".join(a.value for a in Action)
        raise invalid(
            DiscoveryError.UNKNOWN_ACTION, f"action must be one of {names}, got {action!r}"
        ) from None


def check_behaviour(
    action: Action,
    *,
    content_id: int | None,
    product_id: int | None,
    value: float,
    request_id: str | None,
) -> None:
    """Structural checks on a behaviour a client reports (before looking anything up)."""
    if action not in CLIENT_ACTIONS:
        raise invalid(
            DiscoveryError.ACTION_NOT_RECORDABLE,
            f"{action} is recorded from trade, after-sales and content events, not reported",
        )
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise invalid(
            DiscoveryError.INVALID_BEHAVIOUR, f"value must be a finite number, got {value!r}"
        )
    if action in _NEEDS_CONTENT and content_id is None:
        raise invalid(DiscoveryError.INVALID_BEHAVIOUR, f"{action} needs a content_id")
    if action in _NEEDS_PRODUCT and product_id is None:
        raise invalid(DiscoveryError.INVALID_BEHAVIOUR, f"{action} needs a product_id")
    if action == Action.COMPLAINT and content_id is None and product_id is None:
        raise invalid(
            DiscoveryError.INVALID_BEHAVIOUR, "a complaint is about a content item or a product"
        )
    if action in _VALUELESS and value != 0:
        raise invalid(DiscoveryError.INVALID_BEHAVIOUR, f"{action} carries no value (send 0)")
    if action == Action.REVIEW and not 1 <= value <= 5:
        raise invalid(DiscoveryError.INVALID_BEHAVIOUR, f"a review is 1 to 5 stars, got {value}")
    if action == Action.WATCH and value < 0:
        raise invalid(DiscoveryError.INVALID_BEHAVIOUR, "seconds watched cannot be negative")
    if request_id is not None and not 1 <= len(request_id) <= MAX_REQUEST_ID:
        raise invalid(
            DiscoveryError.INVALID_BEHAVIOUR, f"a request id is 1–{MAX_REQUEST_ID} characters"
        )


def max_watch_seconds(duration_s: int) -> float:
    return duration_s + max(WATCH_SLACK_S, duration_s * 0.1)


def check_watch(seconds: float, duration_s: int) -> None:
    limit = max_watch_seconds(duration_s)
    if not 0 <= seconds <= limit:
        raise invalid(
            DiscoveryError.INVALID_BEHAVIOUR,
            f"{seconds:g} s watched of content lasting {duration_s} s (at most {limit:g} s)",
            duration_s=duration_s,
        )


def watch_completion(seconds: float, duration_s: int) -> float:
    """Share of the content watched, 0..1 (a post, 0 s long, counts as read after the slack)."""
    return min(1.0, max(0.0, seconds) / max(float(duration_s), WATCH_SLACK_S))


# --- the interest profile ---------------------------------------------------------------------

PROFILE_WEIGHTS: Mapping[Action, float] = {
    Action.PAY: 10.0,
    Action.ORDER: 6.0,
    Action.ADD_TO_CART: 4.0,
    Action.PRODUCT_CLICK: 2.0,
    Action.SHARE: 2.0,
    Action.FOLLOW: 2.0,
    Action.LIKE: 1.5,
    Action.WATCH: 1.0,  # × the share of the content watched
    Action.REVIEW: 1.0,  # × (stars − 3): five stars +2, one star −2
    Action.IMPRESSION: -0.1,  # only when the user did nothing else with that content
    Action.REFUND: -3.0,
    Action.COMPLAINT: -4.0,
}
"""How much one action says about interest in its category: pay ≫ cart > click > like > a full
watch > an ignored impression (negative)."""

PROFILE_HALF_LIFE_S = 7 * 24 * 3600.0


@dataclass(frozen=True, slots=True)
class Signal:
    """One behaviour row as the profile reads it."""

    action: Action
    category_id: int
    content_id: int | None
    value: float
    duration_s: int  # of the content, for watches; 0 otherwise
    occurred_at: datetime


def decay(age_s: np.ndarray, half_life_s: float) -> np.ndarray:
    """Exponential time decay: 1 now, ½ after one half-life (future times count as now)."""
    return np.power(0.5, np.clip(age_s, 0.0, None) / half_life_s)


def signal_weights(signals: Sequence[Signal]) -> np.ndarray:
    """Each signal's undecayed weight (see `PROFILE_WEIGHTS`)."""
    engaged = {
        s.content_id for s in signals if s.action != Action.IMPRESSION and s.content_id is not None
    }
    out = np.empty(len(signals))
    for i, s in enumerate(signals):
        weight = PROFILE_WEIGHTS[s.action]
        if s.action == Action.WATCH:
            weight *= watch_completion(s.value, s.duration_s)
        elif s.action == Action.REVIEW:
            weight *= s.value - 3.0
        elif s.action == Action.IMPRESSION and s.content_id in engaged:
            weight = 0.0
        out[i] = weight
    return out


def interest_profile(
    signals: Sequence[Signal], now: datetime, *, half_life_s: float = PROFILE_HALF_LIFE_S
) -> dict[int, float]:
    """Category id → interest score: Σ weight × decay(age) over the user's signals."""
    if not signals:
        return {}
    weights = signal_weights(signals)
    ages = np.fromiter(
        ((now - s.occurred_at).total_seconds() for s in signals), float, len(signals)
    )
    cats = np.fromiter((s.category_id for s in signals), np.int64, len(signals))
    uniques, index = np.unique(cats, return_inverse=True)
    scores = np.bincount(index, weights=weights * decay(ages, half_life_s))
    return {int(c): float(v) for c, v in zip(uniques, scores, strict=True)}


def interest_shares(profile: Mapping[int, float], top: int) -> list[tuple[int, float]]:
    """The `top` categories with a positive score, best first, with shares that sum to 1."""
    positive = sorted(((c, v) for c, v in profile.items() if v > 0), key=lambda cv: (-cv[1], cv[0]))
    chosen = positive[:top]
    total = sum(v for _, v in chosen)
    return [(c, v / total) for c, v in chosen]


# --- popularity -------------------------------------------------------------------------------

POPULARITY_WEIGHTS: Mapping[Action, float] = {
    Action.IMPRESSION: 0.0,
    Action.WATCH: 1.0,
    Action.LIKE: 2.0,
    Action.SHARE: 3.0,
    Action.FOLLOW: 0.0,
    Action.PRODUCT_CLICK: 2.0,
    Action.ADD_TO_CART: 4.0,
    Action.ORDER: 6.0,
    Action.PAY: 8.0,
    Action.REFUND: -6.0,
    Action.COMPLAINT: -10.0,
    Action.REVIEW: 0.0,
}
"""Engagement points a content item earns per action in the popularity window."""


def popularity_points(
    content_ids: Sequence[int], actions: Sequence[str], counts: Sequence[int]
) -> dict[int, float]:
    """Content id → Σ points × count, from (content, action, count) aggregates."""
    if not content_ids:
        return {}
    weights = np.fromiter((POPULARITY_WEIGHTS[Action(a)] for a in actions), float, len(actions))
    uniques, index = np.unique(np.asarray(content_ids, dtype=np.int64), return_inverse=True)
    points = np.bincount(index, weights=weights * np.asarray(counts, dtype=float))
    return {int(c): float(p) for c, p in zip(uniques, points, strict=True)}


# --- the baseline feed's mix ------------------------------------------------------------------


class Channel(StrEnum):
    INTEREST = "interest"  # the user's categories
    POPULAR = "popular"  # engagement over the recent window
    FRESH = "fresh"  # newest content: exploration, and a chance for new creators


INTEREST_MIX: Mapping[Channel, float] = {
    Channel.INTEREST: 0.6,
    Channel.POPULAR: 0.3,
    Channel.FRESH: 0.1,
}
COLD_START_MIX: Mapping[Channel, float] = {
    Channel.INTEREST: 0.0,
    Channel.POPULAR: 0.75,
    Channel.FRESH: 0.25,
}
SPILL_ORDER = (Channel.POPULAR, Channel.INTEREST, Channel.FRESH)
"""Where the slots of a channel that ran short go, in order."""

FRESH_HALF_LIFE_S = 24 * 3600.0


def allocate(shares: Sequence[float], total: int) -> list[int]:
    """Split `total` slots by `shares` (largest remainder; ties go to the earlier share)."""
    weight = sum(shares)
    if total <= 0 or weight <= 0:
        return [0] * len(shares)
    exact = [total * s / weight for s in shares]
    counts = [math.floor(x) for x in exact]
    order = sorted(range(len(shares)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def channel_quotas(limit: int, *, has_interest: bool) -> dict[Channel, int]:
    mix = INTEREST_MIX if has_interest else COLD_START_MIX
    channels = list(Channel)
    return dict(zip(channels, allocate([mix[c] for c in channels], limit), strict=True))


def interleave(queues: Sequence[Sequence[T]], weights: Sequence[float]) -> list[T]:
    """Merge `queues` so that each one's items are spread in proportion to its weight (smooth
    weighted round robin; an emptied queue drops out, ties go to the earlier queue)."""
    positions = [0] * len(queues)
    credit = [0.0] * len(queues)
    out: list[T] = []
    active = [i for i, q in enumerate(queues) if q and weights[i] > 0]
    while active:
        total = sum(weights[i] for i in active)
        for i in active:
            credit[i] += weights[i]
        best = max(active, key=lambda i: (credit[i], -i))
        credit[best] -= total
        out.append(queues[best][positions[best]])
        positions[best] += 1
        if positions[best] == len(queues[best]):
            active.remove(best)
    return out


def freshness(age_s: float, *, half_life_s: float = FRESH_HALF_LIFE_S) -> float:
    return float(0.5 ** (max(0.0, age_s) / half_life_s))

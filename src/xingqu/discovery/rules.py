"""Pure discovery rules: behaviour actions and their checks, the interest-profile and popularity
math, the feed's channels and candidate quotas, what counts as a response to an impression, the
shared feature formulas and merchant quality. No I/O."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple, TypeVar

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
    Action.WATCH: 1.0,  # × (share of the content watched − SKIMMED_WATCH)
    Action.REVIEW: 1.0,  # × (stars − 3): five stars +2, one star −2
    Action.IMPRESSION: -0.1,  # only when the user did nothing else with that content
    Action.REFUND: -3.0,
    Action.COMPLAINT: -4.0,
}
"""How much one action says about interest in its category: pay ≫ cart > click > like > a full
watch > an ignored impression (negative)."""

SKIMMED_WATCH = 0.2
"""A watch of less than this share of the content says the person scrolled past it: it counts
against the category (down to −0.2 for a glance), a fuller watch for it. Without this a feed's
own exposure would read as interest: people glance at most of what they are shown."""

PROFILE_HALF_LIFE_S = 7 * 24 * 3600.0


class Signal(NamedTuple):
    """One behaviour row as the profile reads it (a named tuple: a feed request makes up to
    `ACTIVITY_CAP` of them, and a frozen dataclass costs several times as much to build)."""

    action: Action
    category_id: int
    content_id: int | None
    value: float
    duration_s: int  # of the content, for watches; 0 otherwise
    occurred_at: datetime
    product_id: int | None = None
    creator_id: int | None = None


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
            weight *= watch_completion(s.value, s.duration_s) - SKIMMED_WATCH
        elif s.action == Action.REVIEW:
            weight *= s.value - 3.0
        elif s.action == Action.IMPRESSION and s.content_id in engaged:
            weight = 0.0
        out[i] = weight
    return out


def interest_profile(
    signals: Sequence[Signal],
    now: datetime,
    *,
    half_life_s: float = PROFILE_HALF_LIFE_S,
    weights: np.ndarray | None = None,
) -> dict[int, float]:
    """Category id → interest score: Σ weight × decay(age) over the user's signals (`weights`:
    their `signal_weights`, when the caller has them already)."""
    if not signals:
        return {}
    weights = signal_weights(signals) if weights is None else weights
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


PASSED_OVER_HALF = 1.0
"""Each item of a category a person was shown and passed over (`passed_over`) halves what is
left of the chance that the category is a hidden interest of theirs — the assumption being that
people engage with (watch well, like, click) about every other item of a category they would
like."""


def passed_over(
    signals: Sequence[Signal],
    engaged_categories: Iterable[int],
    *,
    weights: np.ndarray | None = None,
) -> dict[int, int]:
    """Category → how many distinct items of it the person was shown and passed over (their
    signals for the item weigh nothing positive: `signal_weights`, passed as `weights` when the
    caller has them already), for categories they never engaged with. Exploration and
    re-ranking turn away from these: a feed that keeps offering what the person scrolls past
    learns nothing new about them."""
    if not signals:
        return {}
    skip = set(engaged_categories)
    per_item: dict[int, tuple[int, float]] = {}
    weights = signal_weights(signals) if weights is None else weights
    for signal, weight in zip(signals, weights, strict=True):
        if signal.content_id is None or signal.category_id in skip:
            continue
        held = per_item.get(signal.content_id)
        per_item[signal.content_id] = (signal.category_id, (held[1] if held else 0.0) + weight)
    out: dict[int, int] = {}
    for category, weight in per_item.values():
        if weight <= 0:
            out[category] = out.get(category, 0) + 1
    return out


def hidden_interest_odds(passed: int) -> float:
    """What is left (0..1) of the chance that a category is a hidden interest after the person
    passed over `passed` of its items (`PASSED_OVER_HALF`)."""
    return float(0.5 ** (max(0, passed) / PASSED_OVER_HALF))


def category_fatigue(passed: Mapping[int, int], penalty: float) -> dict[int, float]:
    """Category → the re-ranking's similarity floor (`rerank.rerank`'s `category_fatigue`): up to
    `penalty` (a same-category neighbour's), rising as the person passes over its items."""
    return {c: penalty * (1.0 - hidden_interest_odds(n)) for c, n in passed.items() if n > 0}


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


# --- the feed's channels and their candidate quotas -------------------------------------------


class Channel(StrEnum):
    """Where a candidate came from (the same names as `ranking.features.CHANNELS`)."""

    MODEL = "model"  # the trained retrieval blend, for users the model knows
    SESSION = "session"  # neighbours of the content the user engaged with last (fresh behaviour)
    FOLLOW = "follow"  # followed creators' newest content
    INTEREST = "interest"  # the user's interest categories, from the online profile
    EXPLORATION = "exploration"  # categories never engaged with, likely to suit (latent interest)
    FRESH = "fresh"  # newest content: a chance for new creators
    TRENDING = "trending"  # engagement over the recent window


def parse_channels(names: Sequence[str] | None) -> frozenset[Channel]:
    """The channels named (None: all of them); an unknown name is a ValueError that lists the
    known ones."""
    if names is None:
        return frozenset(Channel)
    unknown = sorted(set(names) - {c.value for c in Channel})
    if unknown or not names:
        raise ValueError(
            f"feed channels must be some of {', '.join(c.value for c in Channel)}; got {list(names)}"
        )
    return frozenset(Channel(n) for n in names)


CANDIDATE_SHARES: Mapping[Channel, float] = {
    Channel.MODEL: 0.26,
    Channel.SESSION: 0.14,
    Channel.FOLLOW: 0.10,
    Channel.INTEREST: 0.20,
    Channel.EXPLORATION: 0.08,
    Channel.FRESH: 0.08,
    Channel.TRENDING: 0.14,
}
"""Each channel's share of the candidate pool that is ranked for one page."""

CANDIDATES_PER_SLOT = 6
"""The candidate pool holds this many candidates per slot of the page (before filtering)."""

MIN_CANDIDATES = 60

CHANNEL_PRIORITY: tuple[Channel, ...] = (
    Channel.SESSION,
    Channel.MODEL,
    Channel.FOLLOW,
    Channel.INTEREST,
    Channel.EXPLORATION,
    Channel.TRENDING,
    Channel.FRESH,
)
"""A candidate several channels propose is credited to the one where it ranks best; ties go to
the earlier channel here."""


def candidate_quotas(limit: int, channels: Sequence[Channel]) -> dict[Channel, int]:
    """How many candidates each of the available `channels` proposes for a page of `limit`
    items: the pool (`CANDIDATES_PER_SLOT` per slot, at least `MIN_CANDIDATES`) split by
    `CANDIDATE_SHARES` among the channels available (an absent channel's share goes to the
    rest, in proportion)."""
    pool = max(CANDIDATES_PER_SLOT * limit, MIN_CANDIDATES)
    counts = allocate([CANDIDATE_SHARES[c] for c in channels], pool)
    return dict(zip(channels, counts, strict=True))


def rank_strength(n: int, *, constant: float = 10.0) -> np.ndarray:
    """The normalised retrieval strength of ranks 1..n of one channel's list: (c + 1) / (c +
    rank), 1 for the best and falling slowly (the blend's rank fusion uses the same curve)."""
    ranks = np.arange(1, n + 1, dtype=np.float64)
    return (constant + 1.0) / (constant + ranks)


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


def interleave(
    queues: Sequence[Sequence[T]], weights: Sequence[float], limit: int | None = None
) -> list[T]:
    """Merge `queues` so that each one's items are spread in proportion to its weight (smooth
    weighted round robin; an emptied queue drops out, ties go to the earlier queue); the first
    `limit` items of the merge when given."""
    positions = [0] * len(queues)
    credit = [0.0] * len(queues)
    out: list[T] = []
    active = [i for i, q in enumerate(queues) if q and weights[i] > 0]
    while active and (limit is None or len(out) < limit):
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


FRESH_HALF_LIFE_S = 24 * 3600.0


def freshness(age_s: float, *, half_life_s: float = FRESH_HALF_LIFE_S) -> float:
    return float(0.5 ** (max(0.0, age_s) / half_life_s))


# --- what followed an impression: the ranker's labels and the exploration reward ---------------

CLICK_ACTIONS = frozenset(
    {Action.LIKE, Action.SHARE, Action.PRODUCT_CLICK, Action.ADD_TO_CART, Action.ORDER}
)
"""A "click" on a served content item: an engagement beyond watching it (a like, a share, a tap
on its product, a cart or an order of its product)."""

ENGAGED_WATCH_COMPLETION = 0.5
"""A watch of at least this share of the content counts as engaging with it (session channel,
exploration reward)."""


LEANING_MARGIN = 0.1
"""A category a person watches for at least this share of the content more than the categories
they skim leans toward being an interest, even before they engage with it."""
SKIM_QUANTILE = 0.25
MIN_LEANING_CATEGORIES = 4


def watch_leanings(
    user_ids: np.ndarray, category_ids: np.ndarray, completions: np.ndarray
) -> dict[tuple[int, int], float]:
    """(user, category) → how much longer than the categories they skim the user watches the
    category: its mean watch completion minus the user's skimming level (the `SKIM_QUANTILE` of
    their per-category mean completions), where that is at least `LEANING_MARGIN`. Users who
    watched fewer than `MIN_LEANING_CATEGORIES` categories have no skimming level yet. A latent
    interest shows up here first: people watch what they would like a little longer, long
    before they like, click or buy it."""
    users = np.asarray(user_ids, dtype=np.int64)
    categories = np.asarray(category_ids, dtype=np.int64)
    values = np.asarray(completions, dtype=np.float64)
    if len(users) == 0:
        return {}
    out: dict[tuple[int, int], float] = {}
    order = np.lexsort((categories, users))
    users, categories, values = users[order], categories[order], values[order]
    bounds = np.flatnonzero(np.diff(users)) + 1
    for start, end in zip(np.r_[0, bounds], np.r_[bounds, len(users)], strict=True):
        cats, inverse = np.unique(categories[start:end], return_inverse=True)
        if len(cats) < MIN_LEANING_CATEGORIES:
            continue
        means = np.bincount(inverse, weights=values[start:end]) / np.bincount(inverse)
        skim = float(np.quantile(means, SKIM_QUANTILE))
        for category, mean in zip(cats, means, strict=True):
            if mean - skim >= LEANING_MARGIN:
                out[(int(users[start]), int(category))] = float(mean - skim)
    return out


def exploration_reward(actions: Sequence[Action], completions: Sequence[float]) -> float:
    """The response to one exploration impression, 0..1: 1 for a click (`CLICK_ACTIONS`), else
    the best watch completion (a full watch is as good as a click), 0 when ignored."""
    best = 0.0
    for action, completion in zip(actions, completions, strict=True):
        if action in CLICK_ACTIONS:
            return 1.0
        if action == Action.WATCH:
            best = max(best, min(1.0, max(0.0, completion)))
    return best


# --- features shared by serving and training -----------------------------------------------------

PLATFORM_UTC_OFFSET_H = 8
"""The platform's local time (China Standard Time, UTC+8) for the hour-of-day features."""


def local_hour(epoch_s: float | np.ndarray) -> np.ndarray:
    """Hour of day (0..24, with fractions) in platform local time of Unix timestamps."""
    seconds = np.asarray(epoch_s, dtype=np.float64) + PLATFORM_UTC_OFFSET_H * 3600.0
    return np.mod(seconds, 86_400.0) / 3600.0


ACTION_CODES: tuple[Action, ...] = tuple(Action)
"""Actions by a small integer code (their index here), for columnar arrays."""


def positive_weights(
    action_codes: np.ndarray, values: np.ndarray, durations: np.ndarray
) -> np.ndarray:
    """Each signal's positive interest weight (`PROFILE_WEIGHTS`, watches × (completion −
    `SKIMMED_WATCH`), reviews × (stars − 3)), with negative and impression weights set to 0: what
    the category-affinity
    feature counts. Vectorised, so training computes it exactly as serving does."""
    base = np.asarray([PROFILE_WEIGHTS[a] for a in ACTION_CODES], dtype=np.float64)
    codes = np.asarray(action_codes, dtype=np.int64)
    weights = base[codes] if len(codes) else np.zeros(0, dtype=np.float64)
    value = np.asarray(values, dtype=np.float64)
    watch = codes == ACTION_CODES.index(Action.WATCH)
    completion = np.minimum(
        1.0, np.maximum(0.0, value) / np.maximum(np.asarray(durations, np.float64), WATCH_SLACK_S)
    )
    weights = np.where(watch, weights * (completion - SKIMMED_WATCH), weights)
    review = codes == ACTION_CODES.index(Action.REVIEW)
    weights = np.where(review, weights * (value - 3.0), weights)
    return np.maximum(weights, 0.0)


ACTIVITY_CAP = 1_000
"""The activity feature counts at most this many of the user's recent signals."""


# --- merchant quality ---------------------------------------------------------------------------

PRIOR_REFUND_RATE = 0.05
PRIOR_COMPLAINT_RATE = 0.01
QUALITY_PRIOR_ORDERS = 20.0
"""Rates are shrunk towards the platform priors with this many orders' worth of evidence, so a
shop with a handful of orders is neither perfect nor condemned."""
REFUND_PENALTY = 2.0
COMPLAINT_PENALTY = 5.0
NEW_MERCHANT_ORDERS = 20
"""A shop with fewer orders than this in the quality window counts as a new merchant (the
re-ranker's new-merchant quota)."""


def merchant_quality(orders: float, refunds: float, complaints: float) -> float:
    """A shop's service quality, 0..1, from its orders, refunds and complaints in the window:

        quality = clip(1 − REFUND_PENALTY × r − COMPLAINT_PENALTY × c, 0, 1)
        r = (refunds + n₀ × PRIOR_REFUND_RATE) / (orders + n₀)   (c likewise, n₀ = 20)

    A shop at the platform's prior rates scores 0.85; one refunding every order scores 0."""
    n0 = QUALITY_PRIOR_ORDERS
    refund_rate = (max(0.0, refunds) + n0 * PRIOR_REFUND_RATE) / (max(0.0, orders) + n0)
    complaint_rate = (max(0.0, complaints) + n0 * PRIOR_COMPLAINT_RATE) / (max(0.0, orders) + n0)
    raw = 1.0 - REFUND_PENALTY * refund_rate - COMPLAINT_PENALTY * complaint_rate
    return float(min(1.0, max(0.0, raw)))


EXPERIENCE_FLOOR = 50.0
EXPERIENCE_TOP = 100.0


def service_quality(log_quality: float, experience_score: float | None) -> float:
    """The merchant-quality factor the feed values items with, 0..1: the mean of the shop's
    quality in the behaviour log (`merchant_quality`) and its experience score rescaled from
    50–100 to 0–1, or the log measure alone for a shop governance has not scored yet."""
    if experience_score is None:
        return log_quality
    scaled = (experience_score - EXPERIENCE_FLOOR) / (EXPERIENCE_TOP - EXPERIENCE_FLOOR)
    return 0.5 * log_quality + 0.5 * min(1.0, max(0.0, scaled))


# --- the heads before any ranker is trained -----------------------------------------------------

PRIOR_P_CLICK = 0.05
PRIOR_P_BUY_GIVEN_CLICK = 0.05
PRIOR_P_REFUND_GIVEN_BUY = PRIOR_REFUND_RATE
PRIOR_WATCH_S = 10.0
"""Platform-wide priors the engine uses as the ranker's heads while no version is trained."""

"""The online profile: what the feed knows about a user, read from the behaviour log (and their
follows) at request time, so that what they did seconds ago already counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from xingqu.discovery.port import DataPort
from xingqu.discovery.rules import (
    ACTION_CODES,
    ACTIVITY_CAP,
    CLICK_ACTIONS,
    ENGAGED_WATCH_COMPLETION,
    Action,
    Signal,
    interest_profile,
    interest_shares,
    passed_over,
    positive_weights,
    signal_weights,
    watch_completion,
    watch_leanings,
)

PROFILE_WINDOW = timedelta(days=30)
TOP_CATEGORIES = 5
SEEN_IMPRESSIONS = 200  # the creator frequency cap counts the user's last this-many impressions
SESSION_ITEMS = 5  # the session channel starts from this many of the latest engaged items
MAX_FOLLOWS = 200
EXPOSURE_WINDOW = timedelta(hours=24)  # the creator frequency cap counts impressions this far


@dataclass(frozen=True)
class OnlineProfile:
    user_id: int
    activity: int  # recent signals with a category, at most rules.ACTIVITY_CAP
    interests: list[tuple[int, float]]  # top categories and their shares (interest channel)
    affinity: dict[int, float]  # category → share of positive interest weight (feature)
    engaged_categories: frozenset[int]  # categories the user engaged with (`engaged`)
    recent_content: list[int]  # latest engaged content, newest first (session channel)
    follows: frozenset[int]  # followed creator ids
    seen: frozenset[int]  # content of any signal (impressions included) in the window
    creator_exposure: dict[int, int]  # impressions per creator in EXPOSURE_WINDOW
    leaning: dict[int, float]  # categories not engaged with but watched longer than usual
    passed_over: dict[int, int]  # categories never engaged with → items shown and passed over
    ordered_products: list[int]  # products the user ordered (price level)


def build_profile(
    data: DataPort,
    user_id: int,
    now: datetime,
    *,
    durations: Callable[[set[int]], dict[int, int]] | None = None,
) -> OnlineProfile:
    """The profile from the user's last `ACTIVITY_CAP` signals of `PROFILE_WINDOW` (one query)
    and their follows; `durations` looks content durations up (the feed passes its cache)."""
    signals = data.user_signals(
        user_id, since=now - PROFILE_WINDOW, limit=ACTIVITY_CAP, durations=durations
    )
    follows = data.followed_creators(user_id, limit=MAX_FOLLOWS)
    shown = [s for s in signals if s.action == Action.IMPRESSION][:SEEN_IMPRESSIONS]
    since = now - EXPOSURE_WINDOW
    exposure = Counter(
        s.creator_id for s in shown if s.creator_id is not None and s.occurred_at >= since
    )
    engaged_categories = frozenset(s.category_id for s in signals if engaged(s))
    weights = signal_weights(signals)  # once, for the interest scores and the passed-over items
    return OnlineProfile(
        user_id=user_id,
        activity=len(signals),
        interests=interest_shares(interest_profile(signals, now, weights=weights), TOP_CATEGORIES),
        affinity=category_affinity(signals),
        engaged_categories=engaged_categories,
        recent_content=recent_engaged(signals, SESSION_ITEMS),
        follows=frozenset(follows),
        seen=frozenset(s.content_id for s in signals if s.content_id is not None),
        creator_exposure=dict(exposure),
        leaning=leanings(signals, engaged_categories),
        passed_over=passed_over(signals, engaged_categories, weights=weights),
        ordered_products=[
            s.product_id for s in signals if s.action == Action.ORDER and s.product_id is not None
        ],
    )


def category_affinity(signals: list[Signal]) -> dict[int, float]:
    """category → its share of the user's positive interest weight (`rules.positive_weights`,
    undecayed): the `user_category_affinity` feature, computed as training computes it."""
    if not signals:
        return {}
    codes = np.fromiter((ACTION_CODES.index(s.action) for s in signals), np.int64, len(signals))
    values = np.fromiter((s.value for s in signals), np.float64, len(signals))
    durations = np.fromiter((s.duration_s for s in signals), np.float64, len(signals))
    weights = positive_weights(codes, values, durations)
    total = float(weights.sum())
    if total <= 0:
        return {}
    out: dict[int, float] = {}
    for signal, weight in zip(signals, weights, strict=True):
        if weight > 0:
            out[signal.category_id] = out.get(signal.category_id, 0.0) + float(weight) / total
    return out


def leanings(signals: list[Signal], engaged_with: frozenset[int]) -> dict[int, float]:
    """category → `rules.watch_leanings` of the user's watches, for categories they have not
    engaged with (`engaged_with`: their categories of an `engaged` signal): latent interests
    that show before any click."""
    watches = [s for s in signals if s.action == Action.WATCH]
    if not watches:
        return {}
    found = watch_leanings(
        np.zeros(len(watches), dtype=np.int64),
        np.array([s.category_id for s in watches], dtype=np.int64),
        np.array([watch_completion(s.value, s.duration_s) for s in watches]),
    )
    return {c: v for (_, c), v in found.items() if c not in engaged_with}


def engaged(signal: Signal) -> bool:
    """A click-like action, an order, or a watch of at least `ENGAGED_WATCH_COMPLETION`: more
    than scrolling past."""
    return (
        signal.action in CLICK_ACTIONS
        or signal.action == Action.PAY
        or (
            signal.action == Action.WATCH
            and watch_completion(signal.value, signal.duration_s) >= ENGAGED_WATCH_COMPLETION
        )
    )


def recent_engaged(signals: list[Signal], n: int) -> list[int]:
    """The `n` latest distinct content items the user engaged with (`engaged`), newest first
    (`signals` are newest first)."""
    out: list[int] = []
    for s in signals:
        if s.content_id is None or s.content_id in out:
            continue
        if engaged(s):
            out.append(s.content_id)
            if len(out) == n:
                break
    return out

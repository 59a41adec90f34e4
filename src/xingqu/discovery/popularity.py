"""Popularity of content over a recent window, cached in memory for a short time per database.

Aggregating the window on every feed request would scan most of the behaviour log; a few seconds
of staleness in a ranking signal is harmless. Nothing that must be exact comes from here: the feed
checks removal, sellability and stock on every request.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine

from xingqu.discovery.port import DataPort
from xingqu.discovery.rules import popularity_points
from xingqu.store.uow import UnitOfWork

POPULARITY_WINDOW = timedelta(days=3)
POPULARITY_TTL_S = 30.0
# A 3-day window barely moves in minutes: a platform clock that jumps (the simulator) only forces
# a recompute once it has moved this far from the cached value.
POPULARITY_MAX_CLOCK_DRIFT_S = 600.0


@dataclass(frozen=True)
class Popularity:
    """Engagement points per content item in the window, and its rank."""

    as_of: datetime
    ranked: list[tuple[int, float]]  # content with positive points, best first
    points: dict[int, float] = field(repr=False)
    _percentile: dict[int, float] = field(repr=False)

    @classmethod
    def from_points(cls, as_of: datetime, points: dict[int, float]) -> Popularity:
        ranked = sorted(
            ((c, p) for c, p in points.items() if p > 0), key=lambda cp: (-cp[1], cp[0])
        )
        n = len(ranked)
        percentile = {c: 1.0 - rank / n for rank, (c, _) in enumerate(ranked)}
        return cls(as_of, ranked, points, percentile)

    def percentile(self, content_id: int) -> float:
        """1.0 for the most popular item, towards 0 for the least; 0 without positive points."""
        return self._percentile.get(content_id, 0.0)


class PopularityCache:
    """Recomputes popularity when it is older than `ttl_s` of wall time, or when the platform's
    clock has moved by more than `max_clock_drift_s` (a simulated clock jumps)."""

    def __init__(
        self,
        *,
        ttl_s: float = POPULARITY_TTL_S,
        max_clock_drift_s: float = POPULARITY_MAX_CLOCK_DRIFT_S,
        window: timedelta = POPULARITY_WINDOW,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self.max_clock_drift_s = max_clock_drift_s
        self.window = window
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._value: Popularity | None = None
        self._computed_at = 0.0

    def current(self, read_uow: Callable[[], UnitOfWork], now: datetime) -> Popularity:
        """Popularity as of about `now`; `read_uow` makes a (read-only) unit of work if needed."""
        with self._lock:
            value = self._value
            if (
                value is None
                or self._monotonic() - self._computed_at > self.ttl_s
                or abs((now - value.as_of).total_seconds()) > self.max_clock_drift_s
            ):
                with read_uow() as uow:
                    counts = DataPort(uow).engagement_counts(since=now - self.window)
                ids, actions, ns = (
                    (list(col) for col in zip(*counts, strict=True)) if counts else ([], [], [])
                )
                value = Popularity.from_points(now, popularity_points(ids, actions, ns))
                self._value, self._computed_at = value, self._monotonic()
            return value

    def invalidate(self) -> None:
        with self._lock:
            self._value = None


_CACHES: weakref.WeakKeyDictionary[object, PopularityCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def popularity_cache(bind: Engine) -> PopularityCache:
    """The cache for the database behind `bind` (engines made by `execution_options` share it)."""
    with _CACHES_LOCK:
        cache = _CACHES.get(bind.pool)
        if cache is None:
            cache = _CACHES[bind.pool] = PopularityCache()
        return cache

"""Aggregates of the behaviour log over a recent window, cached in memory per database:
the popularity of content (the trending channel) and the standing of shops (merchant quality).

Aggregating the window on every feed request would scan most of the behaviour log; a few seconds
of staleness in a ranking signal is harmless. Nothing that must be exact comes from here: the feed
checks removal, sellability and stock on every request.

A cache recomputes when its value is older than its TTL of wall time, or when the platform's
clock has drifted from the value's time by more than `max_clock_drift_s` (a simulated clock
jumps); under a manual clock only the drift counts. With `background=True` a stale value keeps being served while one background thread
recomputes it (only the very first value is computed in the caller's thread), so no request
waits for an aggregate; the feed's engine uses that.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar, Generic, TypeVar

from sqlalchemy import Engine

from xingqu.discovery.port import DataPort
from xingqu.discovery.rules import NEW_MERCHANT_ORDERS, Action, merchant_quality, popularity_points
from xingqu.store.uow import UnitOfWork

log = logging.getLogger(__name__)

POPULARITY_WINDOW = timedelta(days=3)
POPULARITY_TTL_S = 30.0
# A 3-day window barely moves in minutes: a platform clock that jumps (the simulator) only forces
# a recompute once it has moved this far from the cached value.
POPULARITY_MAX_CLOCK_DRIFT_S = 600.0
STANDING_WINDOW = timedelta(days=90)
STANDING_TTL_S = 60.0

V = TypeVar("V")
ReadUow = Callable[[], UnitOfWork]


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


@dataclass(frozen=True)
class ShopStanding:
    """Orders, refunds and complaints per shop in the window, and the quality they give."""

    as_of: datetime
    counts: dict[int, tuple[int, int, int]]  # shop id → (orders, refunds, complaints)

    def quality(self, shop_id: int) -> float:
        return merchant_quality(*self.counts.get(shop_id, (0, 0, 0)))

    def is_new(self, shop_id: int) -> bool:
        return self.counts.get(shop_id, (0, 0, 0))[0] < NEW_MERCHANT_ORDERS


class WindowCache(Generic[V]):
    """One cached aggregate over the behaviour log's last `window` (see the module docstring for
    when it is recomputed). Subclasses name the aggregate (`compute`) and their defaults."""

    WINDOW: ClassVar[timedelta]
    TTL_S: ClassVar[float]
    BACKGROUND: ClassVar[bool] = False

    def __init__(
        self,
        *,
        ttl_s: float | None = None,
        max_clock_drift_s: float = POPULARITY_MAX_CLOCK_DRIFT_S,
        window: timedelta | None = None,
        background: bool | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window if window is not None else self.WINDOW
        self.ttl_s = ttl_s if ttl_s is not None else self.TTL_S
        self.max_clock_drift_s = max_clock_drift_s
        self.background = background if background is not None else self.BACKGROUND
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._value: V | None = None
        self._computed_at = 0.0
        self._worker: threading.Thread | None = None

    def compute(self, uow: UnitOfWork, now: datetime) -> V:
        raise NotImplementedError

    @staticmethod
    def as_of(value: V) -> datetime:
        return value.as_of  # type: ignore[attr-defined]

    def current(self, read_uow: ReadUow, now: datetime, *, real_time: bool = True) -> V:
        """The aggregate as of about `now`; `read_uow` makes a (read-only) unit of work. Under
        a clock that is not real time (`shared.clock.is_real_time`) only the clock's drift
        counts, and a recompute happens in this thread, so that a simulation replays exactly."""
        with self._lock:
            value = self._value
            if value is not None and not self._stale(value, now, real_time):
                return value
            if value is not None and self.background and real_time:
                if self._worker is None or not self._worker.is_alive():
                    self._worker = threading.Thread(
                        target=self._recompute_quietly,
                        args=(read_uow, now),
                        name="discovery-aggregate",
                        daemon=True,
                    )
                    self._worker.start()
                return value
            return self._recompute(read_uow, now)

    def _stale(self, value: V, now: datetime, real_time: bool) -> bool:
        drifted = abs((now - self.as_of(value)).total_seconds()) > self.max_clock_drift_s
        return drifted or (real_time and self._monotonic() - self._computed_at > self.ttl_s)

    def _recompute(self, read_uow: ReadUow, now: datetime) -> V:
        with read_uow() as uow:
            value = self.compute(uow, now)
        self._value, self._computed_at = value, self._monotonic()
        return value

    def _recompute_quietly(self, read_uow: ReadUow, now: datetime) -> None:
        try:
            with read_uow() as uow:
                value = self.compute(uow, now)
        except Exception:  # keep serving the stale value; the next request tries again
            log.exception("recomputing a behaviour aggregate failed")
            return
        with self._lock:
            self._value, self._computed_at = value, self._monotonic()

    def join(self, timeout: float | None = None) -> None:
        """Wait for a background recompute in flight (tests, shutdown)."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)

    def invalidate(self) -> None:
        with self._lock:
            self._value = None


def compute_popularity(uow: UnitOfWork, now: datetime, window: timedelta) -> Popularity:
    counts = DataPort(uow).engagement_counts(since=now - window)
    ids, actions, ns = (list(col) for col in zip(*counts, strict=True)) if counts else ([], [], [])
    return Popularity.from_points(now, popularity_points(ids, actions, ns))


def compute_standing(uow: UnitOfWork, now: datetime, window: timedelta) -> ShopStanding:
    counts: dict[int, list[int]] = {}
    column = {Action.ORDER: 0, Action.REFUND: 1, Action.COMPLAINT: 2}
    for shop_id, action, n in DataPort(uow).shop_outcomes(since=now - window):
        counts.setdefault(shop_id, [0, 0, 0])[column[Action(action)]] += n
    return ShopStanding(now, {shop: (o, r, c) for shop, (o, r, c) in counts.items()})


class PopularityCache(WindowCache[Popularity]):
    """Content popularity over the window (the trending channel)."""

    WINDOW = POPULARITY_WINDOW
    TTL_S = POPULARITY_TTL_S

    def compute(self, uow: UnitOfWork, now: datetime) -> Popularity:
        return compute_popularity(uow, now, self.window)


class ShopStandingCache(WindowCache[ShopStanding]):
    """Shop outcomes over the window (merchant quality, new merchants)."""

    WINDOW = STANDING_WINDOW
    TTL_S = STANDING_TTL_S
    BACKGROUND = True

    def compute(self, uow: UnitOfWork, now: datetime) -> ShopStanding:
        return compute_standing(uow, now, self.window)


_CACHES: weakref.WeakKeyDictionary[object, dict[str, WindowCache[object]]] = (
    weakref.WeakKeyDictionary()
)
_CACHES_LOCK = threading.Lock()


def _cache_for(bind: Engine, name: str, make: Callable[[], WindowCache[V]]) -> WindowCache[V]:
    with _CACHES_LOCK:
        caches = _CACHES.setdefault(bind.pool, {})
        cache = caches.get(name)
        if cache is None:
            cache = caches[name] = make()  # type: ignore[assignment]
        return cache  # type: ignore[return-value]


def popularity_cache(bind: Engine) -> PopularityCache:
    """The popularity cache of the database behind `bind` (engines made by `execution_options`
    share it). Its recomputes run in the background once it holds a value."""
    cache = _cache_for(bind, "popularity", lambda: PopularityCache(background=True))
    assert isinstance(cache, PopularityCache)
    return cache


def shop_standing_cache(bind: Engine) -> ShopStandingCache:
    """The shop-standing cache of the database behind `bind`."""
    cache = _cache_for(bind, "standing", lambda: ShopStandingCache())
    assert isinstance(cache, ShopStandingCache)
    return cache

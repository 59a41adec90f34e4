"""Time comes from an injected clock so that rules and timers can be tested at their boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ShiftedClock(SystemClock):
    """The wall clock moved to another date: it runs in real time from `start` (a benchmark
    replaying a world recorded earlier). It follows the wall clock, so caches refresh in the
    background as in a server (`is_real_time`)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ShiftedClock needs a timezone-aware start")
        self.offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


class ManualClock:
    """A clock that moves only when told to (tests and the simulator)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("ManualClock needs timezone-aware datetimes")
        self._now = when


def is_real_time(clock: Clock) -> bool:
    """Whether `clock` follows the wall clock. Caches that expire by wall time or refresh in the
    background do so only then: under a manual clock (simulation, tests) they expire by the
    clock's own time and refresh in the caller's thread, so a run replays exactly."""
    return isinstance(clock, SystemClock)


def as_utc(value: datetime) -> datetime:
    """Datetimes read back from SQLite are naive; they were written as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)

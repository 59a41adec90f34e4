"""Clocks: the shifted wall clock runs in real time from another date."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from xingqu.shared.clock import ManualClock, ShiftedClock, SystemClock, is_real_time


def test_a_shifted_clock_starts_at_its_date_and_runs_in_real_time() -> None:
    start = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    clock = ShiftedClock(start)
    first = clock.now()
    assert timedelta(0) <= first - start < timedelta(seconds=1)
    time.sleep(0.05)
    assert timedelta(milliseconds=50) <= clock.now() - first < timedelta(seconds=1)
    assert first.tzinfo is not None


def test_only_clocks_that_follow_the_wall_clock_are_real_time() -> None:
    assert is_real_time(SystemClock())
    assert is_real_time(ShiftedClock(datetime(2026, 1, 5, tzinfo=UTC)))
    assert not is_real_time(ManualClock())


def test_a_shifted_clock_needs_a_timezone() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ShiftedClock(datetime(2026, 1, 5))  # naive on purpose

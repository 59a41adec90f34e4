"""Governance's timers, run by the worker with trade's and after-sales' (`bootstrap.timer_jobs`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from xingqu.governance.cases import expire_sanctions
from xingqu.governance.scores import recompute_daily


def end_sanctions(run: Any) -> int:
    """End the sanctions whose time is up (a suspension lifts, a traffic limit ends)."""
    return len(expire_sanctions(run.uows()))


def daily_scores(run: Any) -> int:
    """Recompute every merchant experience score and creator reputation once per UTC day (the
    platform refreshes scores daily; the history keeps a row per day); returns the shops scored
    (0: already done today)."""
    done = recompute_daily(run.uows)
    return done.shops if done is not None else 0


JOBS: list[tuple[str, Callable[[Any], int]]] = [
    ("governance.expire_sanctions", end_sanctions),
    ("governance.daily_scores", daily_scores),
]

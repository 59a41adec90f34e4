"""Governance's timers, run by the worker with trade's and after-sales' (`bootstrap.timer_jobs`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from xingqu.governance.cases import expire_sanctions
from xingqu.governance.models import MerchantScore
from xingqu.governance.scores import recompute_scores
from xingqu.shared.clock import as_utc


def end_sanctions(run: Any) -> int:
    """End the sanctions whose time is up (a suspension lifts, a traffic limit ends)."""
    return len(expire_sanctions(run.uows()))


def daily_scores(run: Any) -> int:
    """Recompute every merchant experience score and creator reputation once per UTC day (the
    platform refreshes scores daily; the history keeps a row per day); returns the shops scored
    (0: already done today)."""
    with run.uows(readonly=True) as uow:
        today = uow.clock.now().date()
        last = uow.session.scalar(select(func.max(MerchantScore.computed_at)))
    if last is not None and as_utc(last).date() >= today:
        return 0
    return recompute_scores(run.uows).shops


JOBS: list[tuple[str, Callable[[Any], int]]] = [
    ("governance.expire_sanctions", end_sanctions),
    ("governance.daily_scores", daily_scores),
]

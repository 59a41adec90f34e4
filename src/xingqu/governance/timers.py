"""Governance's timers, run by the worker with trade's and after-sales' (`bootstrap.timer_jobs`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from xingqu.governance.cases import expire_sanctions


def end_sanctions(run: Any) -> int:
    """End the sanctions whose time is up (a suspension lifts, a traffic limit ends)."""
    return len(expire_sanctions(run.uows()))


JOBS: list[tuple[str, Callable[[Any], int]]] = [("governance.expire_sanctions", end_sanctions)]

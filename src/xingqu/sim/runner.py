"""Driving simulated days through the platform's services.

A day: in the morning every merchant decides refund requests and moves each open order one step
(`fulfilment`); from 08:00 to 23:30 active consumers open the feed, one session at a time in time
order (`sessions`); the outbox is relayed every few dozen sessions so that the behaviour the
reactions write (orders, payments, refunds, follows) reaches the feed the same day.

The clock is a `ManualClock` moved to each action's simulated time. The days end at `now` (the
real time by default): `days` days of 24 hours, or shorter when the previous run ended less than
`days` days ago, so that nothing is ever stamped in the future. Progress is saved after every day
(and its clock high-water mark more often), so a killed run is simply run again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from xingqu.bootstrap import Platform
from xingqu.shared.clock import ManualClock
from xingqu.sim import agents
from xingqu.sim.context import SimContext
from xingqu.sim.fulfilment import fulfil
from xingqu.sim.progress import Step, no_progress
from xingqu.sim.report import SimulationReport
from xingqu.sim.sessions import run_session
from xingqu.sim.truth import SimProgress, SimTruth

DAY_OPENS = 8 / 24  # share of the day when people start scrolling
DAY_CLOSES = 23.5 / 24
MORNING_ROUND = 7 / 24  # when merchants, the carrier and buyers deal with open orders
DRAIN_EVERY = 40  # sessions between two relays of the outbox


@dataclass(frozen=True, slots=True)
class Window:
    """The stretch of time `days` simulated days fill."""

    start: datetime
    day_length: timedelta

    def day_start(self, i: int) -> datetime:
        return self.start + self.day_length * i


def plan_window(
    progress: SimProgress | None, built_at: datetime, days: int, now: datetime
) -> Window:
    """`days` days ending at `now`, starting no earlier than where the last run stopped."""
    if days < 1:
        raise ValueError("simulate at least one day")
    floor = progress.resume_from if progress is not None else built_at
    start = max(floor, now - timedelta(days=days))
    if now - start < timedelta(minutes=days):  # the last run ended moments ago
        start = now - timedelta(minutes=days)
    return Window(start=start, day_length=(now - start) / days)


def simulate(
    platform: Platform,
    clock: ManualClock,
    truth: SimTruth,
    data_dir: Path,
    *,
    days: int,
    now: datetime | None = None,
    step: Step = no_progress,
) -> SimulationReport:
    """Simulate `days` more days of the marketplace in `truth`, ending at `now`."""
    began = time.perf_counter()
    progress = SimProgress.load(data_dir)
    window = plan_window(
        progress, datetime.fromisoformat(truth.built_at), days, now or datetime.now(UTC)
    )
    done = progress.days_done if progress is not None else 0
    report = SimulationReport()
    ctx = SimContext(
        platform=platform,
        clock=clock,
        seed=truth.seed,
        report=report,
        shoppers={s.user_id: s for s in truth.shoppers()},
        sellers={s.shop_id: s for s in truth.sellers()},
        typical_price_fen={
            c.id: c.typical_price_fen for c in truth.categories if c.typical_price_fen
        },
        day_length=window.day_length,
    )
    last_end = progress.last_end if progress is not None else truth.built_at
    follows: dict[int, set[int]] = {}
    for i in range(days):
        day = done + i + 1
        saved = SimProgress(days_done=day - 1, last_end=last_end, high_water=last_end)
        _run_day(ctx, day, window.day_start(i), follows, data_dir, saved, step)
        end = window.day_start(i + 1)
        clock.set(end)
        report.events_relayed += platform.drain_events()
        report.days += 1
        last_end = end.isoformat()
        SimProgress(days_done=day, last_end=last_end, high_water=last_end).save(data_dir)
    report.seconds = time.perf_counter() - began
    return report


def _run_day(
    ctx: SimContext,
    day: int,
    start: datetime,
    follows: dict[int, set[int]],
    data_dir: Path,
    saved: SimProgress,
    step: Step,
) -> None:
    clock, length = ctx.clock, ctx.day_length
    clock.set(start + length * MORNING_ROUND)
    advance = step(f"day {day}: orders", len(ctx.sellers))
    for shop_id in sorted(ctx.sellers):
        fulfil(ctx, day, ctx.sellers[shop_id])
        advance(1)
    ctx.report.events_relayed += ctx.platform.drain_events()

    sessions = _sessions_of_day(ctx, day, start)
    advance = step(f"day {day}: feed sessions", len(sessions))
    for n, (at, user_id, number) in enumerate(sessions, start=1):
        clock.set(at)
        run_session(ctx, ctx.shoppers[user_id], day, number, follows.setdefault(user_id, set()))
        advance(1)
        if n % DRAIN_EVERY == 0:
            ctx.report.events_relayed += ctx.platform.drain_events()
            # Remember how far the clock got, so that a restart never goes back in time.
            saved.high_water = clock.now().isoformat()
            saved.save(data_dir)


def _sessions_of_day(ctx: SimContext, day: int, start: datetime) -> list[tuple[datetime, int, int]]:
    """(when, user id, session number) for every session of the day, in time order."""
    out: list[tuple[datetime, int, int]] = []
    for user_id in sorted(ctx.shoppers):
        shopper = ctx.shoppers[user_id]
        rng = ctx.rng("day", day, user_id)
        if not agents.opens_app(rng, shopper):
            continue
        for number in range(agents.sessions_today(rng, shopper)):
            at = start + ctx.day_length * rng.uniform(DAY_OPENS, DAY_CLOSES)
            out.append((at, user_id, number))
    out.sort()
    return out

"""Driving simulated days through the platform's services.

A day keeps local hours (China Standard Time). At 07:00 merchants decide refund requests and ship
paid orders, and the carrier delivers; at 19:00 buyers receive what was delivered (confirming, or
asking for a refund) and settle the orders they left unpaid (`fulfilment`). From 08:00 to 23:30
active consumers open the feed, one session at a time in time order (`sessions`). The outbox is
relayed every few dozen sessions, so the behaviour that reactions write (orders, payments,
refunds, follows) reaches the feed the same day.

The clock is a `ManualClock` moved to each action's simulated time. The days end at `now` (the
real time by default): `days` days of 24 hours, or shorter when the previous run ended less than
`days` days ago, so that nothing is ever stamped in the future. Progress is saved after every day
(and its clock high-water mark more often), so a killed run is simply run again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from xingqu.bootstrap import Platform
from xingqu.shared.clock import ManualClock
from xingqu.sim import agents
from xingqu.sim.context import SimContext
from xingqu.sim.fulfilment import evening_round, morning_round
from xingqu.sim.progress import Step, no_progress
from xingqu.sim.report import SimulationReport
from xingqu.sim.sessions import run_session
from xingqu.sim.truth import SimProgress, SimTruth

DAY_OPENS = 8 / 24  # share of the day when people start scrolling
DAY_CLOSES = 23.5 / 24
MORNING_ROUND = 7 / 24  # merchants ship, the carrier delivers
EVENING_ROUND = 19 / 24  # buyers receive and settle
DRAIN_EVERY = 40  # sessions between two relays of the outbox
LOCAL_UTC_OFFSET = timedelta(hours=8)


@dataclass(frozen=True, slots=True)
class Window:
    """The stretch of time `days` simulated days fill, each `day_length` long (24 hours unless
    the window had to be squeezed). People keep local hours (China Standard Time): a day of the
    window runs from whatever hour it starts at, and its events fall at their local times."""

    start: datetime
    day_length: timedelta

    @property
    def phase(self) -> float:
        """The local time of day at `start`, as a fraction of a day (0 is midnight)."""
        local = self.start + LOCAL_UTC_OFFSET
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return (local - midnight) / timedelta(days=1)

    @property
    def epoch(self) -> datetime:
        """The local midnight before `start` (counted in this window's days): day numbers start here."""
        return self.start - self.day_length * self.phase

    def day_start(self, i: int) -> datetime:
        return self.start + self.day_length * i

    def at(self, i: int, local_fraction: float) -> datetime:
        """The moment in window day `i` when the local time of day is `local_fraction`."""
        return self.day_start(i) + self.day_length * ((local_fraction - self.phase) % 1.0)


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
    seed: int | None = None,
    step: Step = no_progress,
    after_day: Callable[[datetime], object] | None = None,
) -> SimulationReport:
    """Simulate `days` more days of the marketplace in `truth`, ending at `now` (the real time by
    default). The people's decisions come from random streams named by `seed` (the world's seed
    by default), the day and the person or order, so the same seed on the same world replays.
    `after_day(end)` runs after each day (the demo trains a new model version there)."""
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
        seed=truth.seed if seed is None else seed,
        report=report,
        shoppers={s.user_id: s for s in truth.shoppers()},
        sellers={s.shop_id: s for s in truth.sellers()},
        typical_price_fen={
            c.id: c.typical_price_fen for c in truth.categories if c.typical_price_fen
        },
        epoch=window.epoch,
        day_length=window.day_length,
        ends_at=window.day_start(days),
    )
    last_end = progress.last_end if progress is not None else truth.built_at
    follows: dict[int, set[int]] = {}
    for i in range(days):
        day = done + i + 1
        saved = SimProgress(days_done=day - 1, last_end=last_end, high_water=last_end)
        _run_day(ctx, day, window, i, follows, data_dir, saved, step)
        end = window.day_start(i + 1)
        clock.set(end)
        report.events_relayed += platform.drain_events()
        report.days += 1
        last_end = end.isoformat()
        SimProgress(days_done=day, last_end=last_end, high_water=last_end).save(data_dir)
        if after_day is not None:
            after_day(end)
    report.seconds = time.perf_counter() - began
    return report


def _run_day(
    ctx: SimContext,
    day: int,
    window: Window,
    i: int,
    follows: dict[int, set[int]],
    data_dir: Path,
    saved: SimProgress,
    step: Step,
) -> None:
    """Window day `i` (simulated day number `day`): two order rounds and the feed sessions, in
    time order."""
    sessions = _sessions_of_day(ctx, day, window, i)
    rounds = [
        (window.at(i, MORNING_ROUND), f"{day}-am"),
        (window.at(i, EVENING_ROUND), f"{day}-pm"),
    ]
    advance = step(f"day {day}: feed sessions", len(sessions))
    for n, (at, user_id, number) in enumerate(sessions, start=1):
        while rounds and rounds[0][0] <= at:
            _round(ctx, rounds[0][1], rounds[0][0], step)
            rounds.pop(0)
        ctx.clock.set(at)
        run_session(ctx, ctx.shoppers[user_id], day, number, follows.setdefault(user_id, set()))
        advance(1)
        if n % DRAIN_EVERY == 0:
            ctx.report.events_relayed += ctx.platform.drain_events()
            # Remember how far the clock got, so that a restart never goes back in time.
            saved.high_water = ctx.clock.now().isoformat()
            saved.save(data_dir)
    for at, name in rounds:
        _round(ctx, name, at, step)


def _round(ctx: SimContext, name: str, at: datetime, step: Step) -> None:
    """Merchants, the carrier and buyers deal with the open orders and refund requests."""
    ctx.clock.set(at)
    ctx.report.events_relayed += ctx.platform.drain_events()
    work = morning_round if name.endswith("am") else evening_round
    advance = step(f"day {name.replace('-', ' ')}: orders", len(ctx.sellers))
    for shop_id in sorted(ctx.sellers):
        work(ctx, name, ctx.sellers[shop_id])
        advance(1)
    ctx.report.events_relayed += ctx.platform.drain_events()


def _sessions_of_day(
    ctx: SimContext, day: int, window: Window, i: int
) -> list[tuple[datetime, int, int]]:
    """(when, user id, session number) for every session of the day, in time order."""
    out: list[tuple[datetime, int, int]] = []
    for user_id in sorted(ctx.shoppers):
        shopper = ctx.shoppers[user_id]
        rng = ctx.rng("day", day, user_id)
        if not agents.opens_app(rng, shopper):
            continue
        for number in range(agents.sessions_today(rng, shopper)):
            out.append((window.at(i, rng.uniform(DAY_OPENS, DAY_CLOSES)), user_id, number))
    out.sort()
    return out


@contextmanager
def database_held_open(engine: Engine) -> Iterator[None]:
    """Keep one idle connection open while the simulator works.

    With SQLite in WAL mode, the last connection to close checkpoints the log and deletes it; the
    store opens a connection per unit of work, so without this every one of the simulator's
    thousands of small transactions pays for a checkpoint (measured: about half the run time).
    """
    if engine.dialect.name != "sqlite":
        yield
        return
    with engine.connect():
        yield

"""Building the demo marketplace: a simulated world and a few days of its life, in a data dir.

The world is made through the services (`sim.builder`), then simulated (`sim.runner`) so that the
days end now. Four demo accounts get random passwords, stored beside the database in
`demo-credentials.json` (mode 0600); the simulated people have none.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.engine import make_url

from xingqu.bootstrap import build_platform
from xingqu.cli.discovery import retrain
from xingqu.config import Settings
from xingqu.shared.clock import ManualClock
from xingqu.shared.progress import rich_steps
from xingqu.sim.builder import BUILD_SPAN, OPERATOR_USERNAME, build_world
from xingqu.sim.report import SimulationReport
from xingqu.sim.runner import database_held_open, simulate
from xingqu.sim.truth import PROGRESS_FILE, TRUTH_FILE, SimProgress, SimTruth, write_json_atomically
from xingqu.sim.world import WorldSize, generate_world

DEMO_DATA_DIR = Path("var/demo")
CREDENTIALS_FILE = "demo-credentials.json"
DEMO_ROLES = ("operator", "merchant", "creator", "consumer")


@dataclass(frozen=True, slots=True)
class DemoLogin:
    role: str
    username: str
    password: str


@dataclass(frozen=True, slots=True)
class DemoResult:
    built: bool  # False when an existing demo was reused
    truth: SimTruth
    logins: list[DemoLogin]
    report: SimulationReport | None  # the days simulated by this call, if any


def demo_settings() -> Settings:
    """Settings for the demo: `XINGQU_DATA_DIR` if set, else `var/demo`; demo mode on."""
    settings = Settings(demo_mode=True)
    if "data_dir" not in settings.model_fields_set:
        settings = Settings(demo_mode=True, data_dir=DEMO_DATA_DIR)
    return settings


def progress_bars(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description:<26}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _sqlite_file(settings: Settings) -> Path | None:
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database or "")


def is_built(settings: Settings) -> bool:
    """A demo is built once its truth and credentials files exist (written after the world)."""
    database = _sqlite_file(settings)
    return (
        SimTruth.exists(settings.data_dir)
        and (settings.data_dir / CREDENTIALS_FILE).is_file()
        and (database is None or database.is_file())
    )


def wipe(settings: Settings) -> None:
    """Delete a demo's simulator files and its SQLite database (another database is left alone:
    empty it yourself before building a demo into it again)."""
    paths = [settings.data_dir / n for n in (TRUTH_FILE, PROGRESS_FILE, CREDENTIALS_FILE)]
    database = _sqlite_file(settings)
    if database is not None:
        paths += [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
    for path in paths:
        path.unlink(missing_ok=True)


def new_password() -> str:
    """A random password that passes the identity rules (letters and other characters)."""
    return f"{secrets.token_urlsafe(12)}-{secrets.randbelow(90) + 10}"


def read_logins(settings: Settings) -> list[DemoLogin]:
    raw = json.loads((settings.data_dir / CREDENTIALS_FILE).read_text(encoding="utf-8"))
    return [DemoLogin(e["role"], e["username"], e["password"]) for e in raw["logins"]]


def prepare_demo(
    settings: Settings,
    size: WorldSize,
    *,
    days: int,
    seed: int,
    rebuild: bool,
    console: Console,
    now: datetime | None = None,
) -> DemoResult:
    """Reuse the demo in `settings.data_dir`, or build it: world, credentials, `days` days."""
    now = now or datetime.now(UTC)
    if rebuild or not is_built(settings):
        wipe(settings)
        return _build(settings, size, days=days, seed=seed, console=console, now=now)
    truth = SimTruth.load(settings.data_dir)
    progress = SimProgress.load(settings.data_dir)
    missing = days - (progress.days_done if progress is not None else 0)
    report = None
    if missing > 0:  # a build that was stopped while simulating: finish the days
        console.print(f"Continuing the demo's simulation: {missing} more day(s).")
        report = _simulate(settings, truth, days=missing, console=console, now=now)
    return DemoResult(False, truth, read_logins(settings), report)


def _build(
    settings: Settings, size: WorldSize, *, days: int, seed: int, console: Console, now: datetime
) -> DemoResult:
    if days < 1:
        raise ValueError("a demo simulates at least one day")
    ends_at = now - timedelta(days=days)
    clock = ManualClock(ends_at - BUILD_SPAN)
    plan = generate_world(size, seed)
    passwords = {role: new_password() for role in DEMO_ROLES}
    console.print(
        f"Building the demo marketplace in [bold]{settings.data_dir}[/]: {size.users:,} consumers, "
        f"{size.merchants:,} merchants, {size.products:,} products, {size.creators:,} creators, "
        f"{size.content:,} content items (seed {seed})."
    )
    platform = build_platform(settings, clock=clock)
    try:
        with database_held_open(platform.engine), progress_bars(console) as bars:
            truth = build_world(
                platform, clock, plan, ends_at=ends_at, passwords=passwords, step=rich_steps(bars)
            )
        truth.save(settings.data_dir)
    finally:
        platform.close()
    usernames = {
        "operator": OPERATOR_USERNAME,
        "merchant": next(m.username for m in plan.merchants if m.demo),
        "creator": next(c.username for c in plan.creators if c.demo),
        "consumer": next(u.username for u in plan.users if u.demo),
    }
    logins = [DemoLogin(role, usernames[role], passwords[role]) for role in DEMO_ROLES]
    write_json_atomically(
        settings.data_dir / CREDENTIALS_FILE,
        {
            "logins": [
                {"role": x.role, "username": x.username, "password": x.password} for x in logins
            ]
        },
        mode=0o600,
    )
    report = _simulate(settings, truth, days=days, console=console, now=now)
    return DemoResult(True, truth, logins, report)


def _simulate(
    settings: Settings, truth: SimTruth, *, days: int, console: Console, now: datetime
) -> SimulationReport:
    clock = ManualClock(now)
    platform = build_platform(settings, clock=clock)
    try:
        with database_held_open(platform.engine), progress_bars(console) as bars:
            step = rich_steps(bars)
            return simulate(
                platform,
                clock,
                truth,
                settings.data_dir,
                days=days,
                now=now,
                step=step,
                # the feed learns from each day, as a platform retraining nightly would
                after_day=lambda end: retrain(platform, now=end, step=step),
            )
    finally:
        platform.close()

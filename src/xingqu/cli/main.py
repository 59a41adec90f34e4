"""The `xingqu` command: demo, serve, simulate, worker, migrate, create-operator, export-behaviour."""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from xingqu.bootstrap import Platform, build_platform
from xingqu.cli.demo import DemoLogin, demo_settings, prepare_demo, progress_bars
from xingqu.cli.discovery import models_app, retrain
from xingqu.cli.discovery import train as train_command
from xingqu.cli.evaluate import evaluate as evaluate_command
from xingqu.cli.trade import ledger_app
from xingqu.cli.trade import timers as run_timers_once
from xingqu.config import Settings
from xingqu.shared.access import SYSTEM
from xingqu.shared.clock import ManualClock
from xingqu.shared.errors import DomainError
from xingqu.sim.progress import rich_steps
from xingqu.sim.report import SimulationReport
from xingqu.sim.runner import database_held_open
from xingqu.sim.runner import simulate as run_simulation
from xingqu.sim.truth import SimTruth
from xingqu.sim.world import WorldSize
from xingqu.store.bus import Publisher
from xingqu.store.outbox import OutboxEvent

app = typer.Typer(
    name="xingqu",
    help="Xingqu (兴趣): an interest e-commerce engine. Start with `xingqu demo`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()


def _add_governance() -> None:
    from xingqu.cli.governance import app as governance_app

    app.add_typer(governance_app, name="governance")


_add_governance()

app.command("train")(train_command)
app.command("evaluate")(evaluate_command)
app.add_typer(models_app, name="models")
app.add_typer(ledger_app, name="ledger")
app.command("timers")(run_timers_once)

Host = Annotated[str, typer.Option(help="interface to listen on")]
Port = Annotated[int, typer.Option(help="port to listen on", min=1, max=65535)]


@app.command()
def demo(
    users: Annotated[int, typer.Option(min=1, help="simulated consumers")] = 2000,
    merchants: Annotated[int, typer.Option(min=1, help="merchants, one shop each")] = 100,
    products: Annotated[int, typer.Option(min=1, help="products over all shops")] = 3000,
    creators: Annotated[int, typer.Option(min=1, help="creators")] = 200,
    content: Annotated[int, typer.Option(min=1, help="videos, livestreams and posts")] = 6000,
    days: Annotated[int, typer.Option(min=1, help="days of marketplace life to simulate")] = 3,
    seed: Annotated[
        int, typer.Option(help="random seed: the same seed builds the same world")
    ] = 42,
    rebuild: Annotated[bool, typer.Option(help="build afresh even if a demo exists")] = False,
    serve: Annotated[bool, typer.Option(help="serve the API and pages when ready")] = True,
    host: Host = "127.0.0.1",
    port: Port = 8000,
) -> None:
    """Build (or reuse) the demo marketplace in XINGQU_DATA_DIR (default var/demo) and serve it."""
    began = time.perf_counter()
    try:
        settings = demo_settings()
        size = WorldSize(users, merchants, products, creators, content)
        result = prepare_demo(
            settings, size, days=days, seed=seed, rebuild=rebuild, console=console
        )
    except ValueError as exc:
        _fail(str(exc))
    except DomainError as exc:  # e.g. a database (not SQLite) that already holds another world
        _fail(f"{exc.code}: {exc.message} (a demo is built into an empty database)")
    if not result.built:
        console.print(
            f"Reusing the demo in [bold]{settings.data_dir}[/] (--rebuild to start over)."
        )
    if result.report is not None:
        _print_report(result.report)
    console.print(f"The demo is ready in {time.perf_counter() - began:.0f} s.")
    _print_logins(result.logins, f"http://{host}:{port}")
    if serve:
        _serve(settings, host, port)


@app.command()
def serve(host: Host = "127.0.0.1", port: Port = 8000) -> None:
    """Serve the API (/docs, /redoc) and the pages; demo mode comes from XINGQU_DEMO_MODE."""
    _serve(Settings(), host, port)


@app.command()
def simulate(
    days: Annotated[int, typer.Option(min=1, help="days to simulate, ending now")] = 1,
    seed: Annotated[int | None, typer.Option(help="random seed (default: the world's)")] = None,
) -> None:
    """Simulate more days on the simulated world in XINGQU_DATA_DIR (safe to kill and re-run);
    the feed trains a new model version after each day."""
    settings = Settings()
    if not SimTruth.exists(settings.data_dir):
        _fail(
            f"no simulated world in {settings.data_dir}: build one with `xingqu demo --no-serve`, "
            "or point XINGQU_DATA_DIR at one (the demo's is var/demo)"
        )
    truth = SimTruth.load(settings.data_dir)
    now = datetime.now(UTC)
    clock = ManualClock(now)
    platform = build_platform(settings, clock=clock)
    try:
        with database_held_open(platform.engine), progress_bars(console) as bars:
            step = rich_steps(bars)
            report = run_simulation(
                platform,
                clock,
                truth,
                settings.data_dir,
                days=days,
                now=now,
                seed=seed,
                step=step,
                after_day=lambda end: retrain(platform, now=end, step=step),
            )
    finally:
        platform.close()
    _print_report(report)


@app.command()
def worker(
    timers: Annotated[
        bool,
        typer.Option(help="also run the trade and after-sales timers (XINGQU_TIMER_INTERVAL_S)"),
    ] = True,
    discovery: Annotated[
        bool,
        typer.Option(
            help="also learn the exploration bandit and retrain the feed (XINGQU_RETRAIN_INTERVAL_S)"
        ),
    ] = True,
) -> None:
    """Relay the event outbox to its reactions, run the trade timers and the feed's learning,
    until stopped (SIGTERM or Ctrl-C)."""
    from xingqu.cli.discovery import DiscoveryJobs
    from xingqu.cli.trade import TimerLoop

    settings = Settings()
    platform = build_platform(settings)
    loop = TimerLoop(platform, settings.timer_interval_s) if timers else None
    jobs = (
        DiscoveryJobs(platform, retrain_interval_s=settings.retrain_interval_s)
        if discovery
        else None
    )
    names = _Announcer(platform.relay.publisher)
    platform.relay.publisher = names
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _stop)
    console.print(f"Relaying the outbox every {settings.dispatch_interval_s:g} s; Ctrl-C stops.")
    if loop is not None:
        console.print(f"Running the trade timers every {settings.timer_interval_s:g} s.")
        loop.start()
    if jobs is not None:
        every = settings.retrain_interval_s
        console.print(
            "Learning the exploration bandit every minute; "
            + (f"retraining the feed every {every:g} s." if every else "no retraining.")
        )
        jobs.start()
    try:
        while not stop.is_set():
            relayed = platform.drain_events()
            if relayed:
                console.print(f"relayed {relayed}: {names.summary()}")
            stop.wait(settings.dispatch_interval_s)
    finally:
        if loop is not None:
            loop.stop()
        if jobs is not None:
            jobs.stop()
        platform.close()
    console.print("Stopped.")


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from xingqu.store import migrate as migrations
    from xingqu.store.engine import make_engine

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    try:
        migrations.upgrade(engine)
        console.print(f"The schema is at revision {migrations.current_revision(engine)}.")
    finally:
        engine.dispose()


@app.command("create-operator")
def create_operator(
    username: Annotated[str, typer.Argument(help="the new operator's user name")],
    display_name: Annotated[
        str | None, typer.Option(help="shown name (default: the user name)")
    ] = None,
    password_stdin: Annotated[bool, typer.Option(help="read the password from stdin")] = False,
) -> None:
    """Create a platform operator account (asks for the password twice)."""
    from xingqu.identity import services as identity

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    platform = build_platform(Settings())
    try:
        user = identity.register_user(
            platform.uow(),
            identity.RegisterUser(
                username, display_name or username, frozenset({"operator"}), password
            ),
            by=SYSTEM,
        )
    except DomainError as exc:
        _fail(f"{exc.code}: {exc.message}")
    finally:
        platform.close()
    console.print(f"Operator [bold]{user.username}[/] created (user id {user.id}).")


@app.command("export-behaviour")
def export_behaviour(
    path: Annotated[Path, typer.Argument(help="the Parquet file to write")],
) -> None:
    """Write the whole behaviour log to a Parquet file (for offline training and evaluation)."""
    from xingqu.discovery.export import export_behaviour as export

    platform = build_platform(Settings())
    try:
        rows = export(platform.uow(readonly=True), path)
    except DomainError as exc:
        _fail(f"{exc.code}: {exc.message}")
    finally:
        platform.close()
    console.print(f"Wrote {rows:,} behaviour rows to {path}.")


# --- helpers for the commands above --------------------------------------------------------------


class _Announcer:
    """A publisher that remembers which events went by (for the worker's log), then passes them on."""

    def __init__(self, inner: Publisher) -> None:
        self.inner = inner
        self.names: Counter[str] = Counter()

    def publish(self, events: Sequence[OutboxEvent]) -> None:
        self.inner.publish(events)
        self.names.update(e.name for e in events)

    def close(self) -> None:
        self.inner.close()

    def summary(self) -> str:
        text = ", ".join(f"{name} ×{n}" for name, n in sorted(self.names.items()))
        self.names.clear()
        return text


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from xingqu.api.app import create_app

    platform: Platform = build_platform(settings)
    platform.prepare_to_serve()
    mode = "on" if settings.demo_mode else "off"
    console.print(
        f"Serving http://{host}:{port}/ (API docs at /docs, demo mode {mode}); Ctrl-C stops."
    )
    try:
        uvicorn.run(create_app(platform), host=host, port=port, log_level="info")
    finally:
        platform.close()


def _print_logins(logins: list[DemoLogin], base_url: str) -> None:
    table = Table(title=f"Demo log-ins (POST {base_url}/api/v1/auth/login)")
    for column in ("role", "user name", "password"):
        table.add_column(column)
    for login in logins:
        table.add_row(login.role, login.username, login.password)
    console.print(table)


def _print_report(report: SimulationReport) -> None:
    table = Table(title="Simulated marketplace")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for label, value in report.rows():
        table.add_row(label, value)
    console.print(table)


def _fail(message: str) -> NoReturn:
    console.print(f"[red]{message}[/]")
    raise typer.Exit(code=1)

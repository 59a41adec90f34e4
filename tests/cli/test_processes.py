"""The CLI as a real process: the worker stops on SIGTERM; a SIGKILLed simulation re-runs."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.sim.tiny import tiny_settings
from xingqu.bootstrap import build_platform
from xingqu.discovery.engine.registry import ModelRegistry
from xingqu.identity import services as identity
from xingqu.shared.access import SYSTEM
from xingqu.sim.truth import SimProgress

pytestmark = pytest.mark.e2e


def _start(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "XINGQU_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1", **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-c", "from xingqu.cli.main import app; app()", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for(predicate, timeout_s: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def test_the_worker_relays_pending_events_until_sigterm(tiny_world: Path) -> None:
    # given: an event waiting in the outbox
    p = build_platform(tiny_settings(tiny_world), migrate_schema=False)
    identity.register_user(
        p.uow(), identity.RegisterUser("late.joiner", "Late", frozenset({"consumer"})), by=SYSTEM
    )
    assert p.relay.pending() == 1
    worker = _start(tiny_world, "worker")
    # when
    _wait_for(lambda: p.relay.pending() == 0)
    worker.send_signal(signal.SIGTERM)
    output, _ = worker.communicate(timeout=30)
    # then
    assert worker.returncode == 0, output
    assert "identity.user_registered ×1" in output
    assert "Stopped." in output
    p.close()


def test_a_simulation_killed_at_any_moment_runs_again(tiny_world: Path) -> None:
    # given: a run killed with SIGKILL in the middle of its second day
    run = _start(tiny_world, "simulate", "--days", "4")

    def into_second_day() -> bool:
        progress = SimProgress.load(tiny_world)
        return progress is not None and progress.days_done >= 2

    _wait_for(into_second_day, timeout_s=60)
    time.sleep(0.1)  # somewhere inside the next day
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=30)
    killed_at = SimProgress.load(tiny_world)
    assert killed_at is not None and killed_at.days_done in (2, 3)
    # when
    again = _start(tiny_world, "simulate", "--days", "1")
    output, _ = again.communicate(timeout=120)
    # then
    assert again.returncode == 0, output
    after = SimProgress.load(tiny_world)
    assert after is not None and after.days_done == killed_at.days_done + 1
    p = build_platform(tiny_settings(tiny_world), migrate_schema=False)
    with p.engine.connect() as conn:
        unpaid_but_moved = conn.execute(
            text(
                "SELECT count(*) FROM orders o LEFT JOIN payments y ON y.order_id = o.id "
                "WHERE o.status NOT IN ('pending_payment', 'cancelled') "
                "AND (y.id IS NULL OR y.amount_fen != o.total_fen)"
            )
        ).scalar_one()
        negative_stock = conn.execute(
            text("SELECT count(*) FROM skus WHERE stock < 0")
        ).scalar_one()
        pending_events = conn.execute(
            text("SELECT count(*) FROM outbox_events WHERE published_at IS NULL")
        ).scalar_one()
    p.close()
    assert (unpaid_but_moved, negative_stock, pending_events) == (0, 0, 0)


def test_the_worker_retrains_the_feed_when_the_version_is_old(tiny_world: Path) -> None:
    # given a world whose newest model version is older than the retraining interval
    registry = ModelRegistry(tiny_world / "models")
    before = registry.current()
    assert before is not None
    time.sleep(1.1)
    worker = _start(tiny_world, "worker", env={"XINGQU_RETRAIN_INTERVAL_S": "1"})
    # when the worker runs
    _wait_for(lambda: registry.current() != before, timeout_s=120)
    worker.send_signal(signal.SIGTERM)
    output, _ = worker.communicate(timeout=120)
    # then it published a newer version and made it current, and stopped cleanly
    assert worker.returncode == 0, output
    assert f"published model version {registry.current()}" in output
    assert registry.current() > before  # type: ignore[operator]

"""The trade commands as the operator runs them: `xingqu worker` runs the timers (a real
process), `xingqu timers` runs them once and a second run changes nothing, `xingqu ledger check`
passes on sound books and fails (exit 1) on tampered ones."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from tests import factories
from tests.trade import scenario
from tests.trade.scenario import listing
from xingqu.bootstrap import Platform, build_platform
from xingqu.cli.main import app
from xingqu.config import Settings
from xingqu.shared.clock import ManualClock


def _world(data_dir: Path, placed_at: datetime) -> tuple[Platform, int, int]:
    """A platform in `data_dir` with one order placed at `placed_at` and never paid, and one
    paid order."""
    p = build_platform(
        Settings(data_dir=data_dir, environment="test"), clock=ManualClock(placed_at)
    )
    item = listing(p, stock=5)
    buyer = factories.consumer(p)
    unpaid = scenario.placed(p, buyer, item, quantity=2)
    paid = scenario.paid(p, buyer, item)
    return p, unpaid.id, paid.id


def _status(p: Platform, order_id: int) -> str:
    with p.engine.connect() as conn:
        return conn.execute(text(f"SELECT status FROM orders WHERE id = {order_id}")).scalar_one()


@pytest.mark.e2e
def test_the_worker_runs_the_timers_until_sigterm(tmp_path: Path) -> None:
    # given an order left unpaid for two hours
    p, unpaid, paid = _world(tmp_path, datetime.now(UTC) - timedelta(hours=2))
    env = {
        **os.environ,
        "XINGQU_DATA_DIR": str(tmp_path),
        "XINGQU_TIMER_INTERVAL_S": "0.2",
        "PYTHONUNBUFFERED": "1",
    }
    worker = subprocess.Popen(
        [sys.executable, "-c", "from xingqu.cli.main import app; app()", "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # when the worker runs
    deadline = time.monotonic() + 30
    while _status(p, unpaid) != "cancelled" and time.monotonic() < deadline:
        time.sleep(0.1)
    worker.send_signal(signal.SIGTERM)
    output, _ = worker.communicate(timeout=30)
    # then it cancelled the expired order (and not the paid one), and stopped cleanly
    assert worker.returncode == 0, output
    assert (_status(p, unpaid), _status(p, paid)) == ("cancelled", "paid")
    assert "trade.expire_unpaid ×1" in output
    p.close()


def test_timers_once_then_again_changes_nothing_and_the_ledger_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p, unpaid, _ = _world(tmp_path, datetime.now(UTC) - timedelta(hours=2))
    monkeypatch.setenv("XINGQU_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    first = runner.invoke(app, ["timers"])
    second = runner.invoke(app, ["timers"])
    check = runner.invoke(app, ["ledger", "check"])
    assert first.exit_code == second.exit_code == check.exit_code == 0, first.output
    assert _row(first.output, "trade.expire_unpaid") == "1"
    assert _row(second.output, "trade.expire_unpaid") == "0"
    assert _status(p, unpaid) == "cancelled"
    assert "The books balance and reconcile." in check.output
    # and a line changed behind the ledger's back is found
    with p.engine.begin() as conn:
        conn.execute(text("UPDATE ledger_lines SET amount_fen = amount_fen - 7 WHERE id = 1"))
    broken = runner.invoke(app, ["ledger", "check"])
    assert broken.exit_code == 1
    assert "does not balance" in broken.output
    p.close()


def _row(output: str, name: str) -> str:
    line = next(line for line in output.splitlines() if name in line)
    return line.split("│")[2].strip()

"""SIGKILL in the middle of a money workload (payments, refunds, settlement, commission,
payouts, timers) loses nothing that was committed, and the books still balance and reconcile
after the restart (a real subprocess)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from tests import factories
from tests.affiliate.scenario import promoted
from tests.e2e.test_crash_recovery import _wait_for_acks
from tests.ledger.invariants import violations
from tests.trade.scenario import listing
from xingqu.bootstrap import Platform
from xingqu.shared.clock import ManualClock

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _start(url: str, ack: Path, seed: int, start: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.books_workload", url, str(ack), str(seed), start],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _acknowledged_work_is_there(p: Platform, ack: Path) -> int:
    with p.engine.connect() as conn:
        orders = {row[0] for row in conn.execute(text("SELECT id FROM orders"))}
        paid = dict(conn.execute(text("SELECT order_id, amount_fen FROM payments")).all())
    lines = [line.split() for line in ack.read_text().splitlines() if line.strip()]
    for kind, *rest in lines:
        if kind == "placed":
            assert int(rest[0]) in orders, f"committed order {rest[0]} was lost"
        if kind == "paid":
            assert paid.get(int(rest[0])) == int(rest[1]), f"payment of order {rest[0]} was lost"
    return len(lines)


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]
)
def test_sigkill_mid_money_workload_keeps_the_books(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock
) -> None:
    # given a shop with a promoted product and a plain one, buyers, an operator
    p: Platform = request.getfixturevalue(
        "platform" if backend == "sqlite" else "postgres_platform"
    )
    deal = promoted(p, price_fen=9_900, stock=400, rate_bp=2_000)
    plain = listing(p, price_fen=3_300, stock=400, merchant=deal.item.merchant)
    for _ in range(6):
        factories.consumer(p)
    factories.operator(p)
    initial = {deal.item.sku_id: 400, plain.sku_id: 400}
    url = p.settings.resolved_database_url
    ack = tmp_path / "acks.txt"
    # when the workload is killed without warning mid-run
    proc = _start(url, ack, 1, clock.now().isoformat())
    _wait_for_acks(proc, ack, at_least=80)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    # then every acknowledged commit is there and the invariants hold
    first = _acknowledged_work_is_there(p, ack)
    assert violations(p, initial) == []
    # and a restarted workload (later on the clock) carries on, is killed again, and still
    later = (clock.now() + timedelta(days=400)).isoformat()
    proc = _start(url, ack, 2, later)
    _wait_for_acks(proc, ack, at_least=first + 60)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    _acknowledged_work_is_there(p, ack)
    assert violations(p, initial) == []
    # and once every timer has caught up, everything due is settled and the books still hold
    clock.set(clock.now() + timedelta(days=900))
    p.run_timers()
    p.run_timers()
    assert violations(p, initial) == []
    with p.engine.connect() as conn:
        settled = conn.execute(text("SELECT count(*) FROM orders WHERE settled_at IS NOT NULL"))
        assert settled.scalar_one() > 0

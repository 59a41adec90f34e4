"""SIGKILL in the middle of a workload loses nothing that was committed (a real subprocess)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text

from tests import factories
from xingqu.bootstrap import Platform

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _start(url: str, ack: Path, seed: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.crash_workload", url, str(ack), str(seed)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _wait_for_acks(
    proc: subprocess.Popen[bytes], ack: Path, at_least: int, timeout: float = 90
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"workload died: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        if ack.exists() and len(ack.read_text().splitlines()) >= at_least:
            return
        time.sleep(0.05)
    raise AssertionError(f"workload acknowledged fewer than {at_least} commits in {timeout}s")


def _rows(p: Platform, sql: str) -> list[tuple[object, ...]]:
    with p.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql)).all()]


def _check_books(p: Platform, initial_stock: dict[int, int], ack: Path) -> int:
    """Every acknowledged commit is there, and the database is consistent with itself."""
    status = dict(_rows(p, "SELECT id, status FROM orders"))
    events = Counter(
        (name, str(agg))
        for name, agg in _rows(
            p, "SELECT name, aggregate_id FROM outbox_events WHERE aggregate = 'order'"
        )
    )
    payments = {
        order_id: (pid, amount)
        for pid, order_id, amount in _rows(p, "SELECT id, order_id, amount_fen FROM payments")
    }
    refunds = dict(_rows(p, "SELECT id, status FROM aftersales_requests"))
    acked = [line.split() for line in ack.read_text().splitlines() if line.strip()]
    for kind, order_id, *rest in acked:
        oid = int(order_id)
        assert oid in status, f"committed order {oid} was lost"
        assert events[("trade.order_placed", order_id)] == 1
        if kind == "cancelled":
            assert status[oid] == "cancelled" and events[("trade.order_cancelled", order_id)] == 1
        if kind == "paid":
            assert payments[oid][0] == int(rest[0]) and events[("trade.order_paid", order_id)] == 1
            assert status[oid] in ("paid", "refunded")
        if kind == "refunded":
            assert refunds[int(rest[0])] == "executed" and status[oid] == "refunded"
    # the database agrees with itself, acknowledged or not
    totals = dict(_rows(p, "SELECT id, total_fen FROM orders"))
    for oid, (_, amount) in payments.items():
        assert amount == totals[oid] and status[oid] in ("paid", "refunded")
    for oid, st in status.items():
        assert events[("trade.order_placed", str(oid))] == 1
        assert (oid in payments) == (st in ("paid", "refunded"))
    reserved = Counter()
    for sku_id, qty, released in _rows(
        p,
        "SELECT l.sku_id, l.quantity, o.stock_released FROM order_lines l "
        "JOIN orders o ON o.id = l.order_id",
    ):
        if not released:  # cancelled, or refunded in full before shipping
            reserved[sku_id] += qty
    stock = dict(_rows(p, "SELECT id, stock FROM skus"))
    assert stock == {sku: initial_stock[sku] - reserved[sku] for sku in initial_stock}
    return len(acked)


def _world(p: Platform) -> dict[int, int]:
    owner, shop_id = factories.merchant(p)
    for _ in range(8):
        factories.consumer(p)
    skus = [
        factories.product(p, owner, shop_id, price_fen=1_000 + i, stock=500).skus[0].id
        for i in range(4)
    ]
    return dict.fromkeys(skus, 500)


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]
)
def test_sigkill_mid_workload_loses_no_committed_work(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # given a small marketplace and a buying workload running in another process
    p: Platform = request.getfixturevalue(
        "platform" if backend == "sqlite" else "postgres_platform"
    )
    initial_stock = _world(p)
    url = p.settings.resolved_database_url
    ack = tmp_path / "acks.txt"
    proc = _start(url, ack, seed=1)
    _wait_for_acks(proc, ack, at_least=40)

    # when it is killed without warning in the middle of its work
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    # then everything it acknowledged is committed and the books are consistent
    first = _check_books(p, initial_stock, ack)
    assert first >= 40

    # and a restarted workload carries on over the leftovers, and the relay catches up
    proc = _start(url, ack, seed=2)
    _wait_for_acks(proc, ack, at_least=first + 20)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    _check_books(p, initial_stock, ack)
    p.drain_events()
    assert p.relay.pending() == 0

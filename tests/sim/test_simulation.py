import ast
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.sim.tiny import FIXED_NOW, build_tiny, tiny_settings
from xingqu.bootstrap import Platform, build_platform
from xingqu.identity import services as identity
from xingqu.shared.access import Actor, Role
from xingqu.shared.clock import ManualClock
from xingqu.sim.runner import database_held_open, plan_window, simulate
from xingqu.sim.truth import SimProgress, SimTruth
from xingqu.trade import services as trade

SIM_SOURCE = Path(__file__).resolve().parents[2] / "src/xingqu/sim"


class Killed(Exception):
    """Stands in for SIGKILL: the run stops between two service calls."""


def _platform(data_dir: Path, clock: ManualClock) -> Platform:
    return build_platform(tiny_settings(data_dir), clock=clock)


def _rows(data_dir: Path, sql: str) -> list[tuple[object, ...]]:
    p = build_platform(tiny_settings(data_dir), migrate_schema=False)
    try:
        with p.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        p.close()


def test_the_same_seed_simulates_the_same_marketplace(tmp_path: Path) -> None:
    # given / when: two builds of the same seed, with the same "now"
    first = build_tiny(tmp_path / "a", seed=5, days=2, now=FIXED_NOW)
    second = build_tiny(tmp_path / "b", seed=5, days=2, now=FIXED_NOW)
    # then
    assert first.report is not None and second.report is not None
    assert first.report.comparable() == second.report.comparable()
    assert first.report.sessions > 20 and first.report.orders_placed > 0
    orders = "SELECT id, buyer_id, shop_id, status, total_fen, placed_at FROM orders ORDER BY id"
    assert _rows(tmp_path / "a", orders) == _rows(tmp_path / "b", orders)
    assert first.truth.users == second.truth.users


def test_the_truth_file_maps_simulated_people_to_platform_accounts(tiny_world: Path) -> None:
    # given
    truth = SimTruth.load(tiny_world)
    raw = json.loads((tiny_world / "sim_truth.json").read_text(encoding="utf-8"))
    p = build_platform(tiny_settings(tiny_world), migrate_schema=False)
    # then
    assert len(truth.users) == 50 and len(raw["users"]) == 50
    for u in truth.users[:5]:
        assert identity.get_user(p.uow(readonly=True), u.user_id).username == u.username
        assert abs(sum(u.interests.values()) - 1.0) < 0.01
    assert sorted(truth.demo_accounts) == ["consumer", "creator", "merchant", "operator"]
    p.close()


def test_the_simulator_acts_only_through_services() -> None:
    # given
    offending: list[str] = []
    files = sorted(SIM_SOURCE.glob("*.py"))
    # when
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module is not None:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                names = []
            offending += [
                f"{path.name}: imports {n}" for n in names if n.split(".")[-1] == "models"
            ]
            if isinstance(node, ast.Attribute) and node.attr == "session":
                offending.append(f"{path.name}:{node.lineno}: touches a session")
    # then
    assert len(files) >= 10
    assert offending == []


def test_a_killed_run_is_run_again_and_goes_on(tiny_world: Path) -> None:
    # given: a run killed in the middle of its day's feed sessions
    truth = SimTruth.load(tiny_world)
    before = SimProgress.load(tiny_world)
    assert before is not None and before.days_done == 1
    now = datetime.fromisoformat(before.last_end) + timedelta(days=1)
    clock = ManualClock(now)
    p = _platform(tiny_world, clock)
    sessions_seen = 0

    def killing_step(description: str, total: int):  # type: ignore[no-untyped-def]
        def advance(n: int) -> None:
            nonlocal sessions_seen
            if "sessions" in description:
                sessions_seen += n
                if sessions_seen == 12:
                    raise Killed

        return advance

    with pytest.raises(Killed), database_held_open(p.engine):
        simulate(p, clock, truth, tiny_world, days=1, now=now, step=killing_step)
    p.close()
    midway = SimProgress.load(tiny_world)
    assert midway is not None and midway.days_done == 1
    # when: the same command again
    clock = ManualClock(now)
    p = _platform(tiny_world, clock)
    report = simulate(p, clock, truth, tiny_world, days=1, now=now)
    p.close()
    # then
    after = SimProgress.load(tiny_world)
    assert after is not None and after.days_done == 2 and after.last_end == now.isoformat()
    assert report.days == 1 and report.sessions > 0
    paid_without_payment = _rows(
        tiny_world,
        "SELECT o.id FROM orders o LEFT JOIN payments p ON p.order_id = o.id "
        "WHERE o.status NOT IN ('pending_payment', 'cancelled') AND p.id IS NULL",
    )
    wrong_amounts = _rows(
        tiny_world,
        "SELECT o.id FROM orders o JOIN payments p ON p.order_id = o.id WHERE p.amount_fen != o.total_fen",
    )
    assert paid_without_payment == [] and wrong_amounts == []


def test_orders_left_unpaid_are_paid_or_cancelled_later(tiny_world: Path) -> None:
    # given: an order a killed run placed but never paid
    truth = SimTruth.load(tiny_world)
    progress = SimProgress.load(tiny_world)
    assert progress is not None
    start = datetime.fromisoformat(progress.last_end)
    clock = ManualClock(start + timedelta(minutes=5))
    p = _platform(tiny_world, clock)
    (sku_id,) = _rows(tiny_world, "SELECT id FROM skus WHERE stock > 0 ORDER BY id LIMIT 1")[0]
    buyer = Actor(truth.users[3].user_id, frozenset({Role.CONSUMER}))
    order = trade.place_order(
        p.uow(), buyer, trade.PlaceOrder([trade.OrderLineSpec(sku_id, 1)], "left-behind-1")
    )
    assert order.status == "pending_payment"
    # when
    simulate(p, clock, truth, tiny_world, days=1, now=start + timedelta(days=1))
    p.close()
    # then
    status = _rows(tiny_world, f"SELECT status FROM orders WHERE id = {order.id}")[0][0]
    assert status in ("paid", "shipped", "cancelled", "refunded")


def test_the_days_end_now_and_never_go_back_in_time() -> None:
    # given
    now = datetime(2026, 5, 1, 12, tzinfo=UTC)
    built = now - timedelta(days=10)
    # when
    fresh = plan_window(None, built, 3, now)
    resumed = plan_window(
        SimProgress(
            4, (now - timedelta(hours=30)).isoformat(), (now - timedelta(hours=20)).isoformat()
        ),
        built,
        2,
        now,
    )
    moments_ago = plan_window(SimProgress(5, now.isoformat(), now.isoformat()), built, 2, now)
    # then
    assert (fresh.start, fresh.day_length) == (now - timedelta(days=3), timedelta(days=1))
    assert resumed.start == now - timedelta(hours=20) and resumed.day_length == timedelta(hours=10)
    assert moments_ago.start == now - timedelta(minutes=2)
    # The first day starts at 20:00 in Beijing: its 21:00 comes first, its 08:00 the next morning.
    assert fresh.at(0, 21 / 24) == datetime(2026, 4, 28, 13, tzinfo=UTC)
    assert fresh.at(0, 8 / 24) == datetime(2026, 4, 29, 0, tzinfo=UTC)
    assert fresh.epoch == datetime(2026, 4, 27, 16, tzinfo=UTC)  # Beijing midnight before

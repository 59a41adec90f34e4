"""Shop-risk detectors: pure checks on hand-made orders, and the acceptance test on a simulated
marketplace with an injected brushing ring."""

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from tests.sim.tiny import tiny_settings
from xingqu.bootstrap import build_platform
from xingqu.catalog import queries as catalog_queries
from xingqu.cli.demo import prepare_demo
from xingqu.governance import risk
from xingqu.governance.facts import OrderFact, TradeFacts
from xingqu.shared.clock import ManualClock
from xingqu.shared.paging import PageRequest
from xingqu.sim.brushing import inject_ring
from xingqu.sim.truth import SimTruth
from xingqu.sim.world import WorldSize

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _order(n: int, shop: int, buyer: int, minutes: float, **kw: object) -> OrderFact:
    values: dict[str, object] = {
        "order_id": n, "shop_id": shop, "buyer_id": buyer, "status": "paid", "total_fen": 100,
        "placed_at": T0 + timedelta(minutes=minutes), "paid_at": T0, "shipped_at": None,
        "ship_by": None, "delivered_at": None, "refunded_fen": 0,
        "address": f"home of {buyer}", "device_id": None, "instrument": None,
        "product_ids": (7,), "tracking_scans": 0,
    }  # fmt: skip
    values.update(kw)
    return OrderFact(**values)  # type: ignore[arg-type]


def test_velocity_flags_three_orders_per_buyer_within_an_hour_and_not_two() -> None:
    # given: shop 1 gets 9 orders from 3 buyers in 45 minutes; shop 2 gets 8 from 4 buyers
    orders = [_order(i, 1, 100 + i % 3, i * 5) for i in range(9)]
    orders += [_order(100 + i, 2, 200 + i % 4, i * 5) for i in range(8)]
    # when
    found = risk.brushing_by_velocity(orders)
    # then
    assert [(s.shop_id, s.evidence["orders"], s.evidence["unique_buyers"]) for s in found] == [
        (1, 9, 3)
    ]
    assert found[0].evidence["ratio"] == 3.0


def test_orders_spread_over_more_than_an_hour_are_not_velocity() -> None:
    orders = [_order(i, 1, 100 + i % 2, i * 20) for i in range(8)]  # 2 buyers, 140 minutes
    assert risk.brushing_by_velocity(orders) == []


def test_buyers_sharing_a_device_or_address_form_one_ring() -> None:
    # given: buyers 1–2 share a device, 2–3 an address; buyer 4 is alone
    orders = [
        _order(1, 9, 1, 0, device_id="d1"),
        _order(2, 9, 2, 1, device_id="d1", address="1 Same St"),
        _order(3, 9, 3, 2, address="1 same st."),
        _order(4, 9, 4, 3),
    ] + [_order(10 + i, 9, 1 + i % 3, 10 + i) for i in range(6)]
    # when
    components = list(risk.linked_buyers(orders).values())
    rings = risk.brushing_rings(orders)
    # then
    assert [sorted(members) for members, _ in components] == [[1, 2, 3]]
    assert [(r.shop_id, r.evidence["buyers"]) for r in rings] == [(9, [1, 2, 3])]
    assert "device:d1" in rings[0].evidence["shared_identifiers"]


def test_fake_shipping_needs_three_unscanned_parcels_shipped_the_same_day() -> None:
    now = T0 + timedelta(days=3)
    shipped = {"shipped_at": T0, "status": "shipped"}
    two = [_order(i, 5, i, 0, **shipped) for i in range(2)]
    three = [_order(10 + i, 6, 10 + i, 0, **shipped) for i in range(3)]
    scanned = [_order(20 + i, 7, 20 + i, 0, tracking_scans=2, **shipped) for i in range(3)]
    found = risk.fake_shipping(two + three + scanned, now)
    assert [s.shop_id for s in found] == [6]


@pytest.fixture(scope="module")
def trading_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated marketplace with two days of honest trade (about 65 orders, 8 shops).
    400 people: since the feed's profile change (commit ed7d44a) 300 place only about 35."""
    data_dir = tmp_path_factory.mktemp("governance-world") / "data"
    prepare_demo(
        tiny_settings(data_dir),
        WorldSize(users=400, merchants=8, products=160, creators=12, content=300),
        days=2,
        seed=11,
        rebuild=True,
        console=Console(file=io.StringIO()),
    )
    return data_dir


@pytest.mark.slow
def test_the_injected_ring_is_found_and_no_honest_shop_in_the_same_run(
    trading_world: Path,
) -> None:
    # given: a simulated marketplace after two days of honest trade, and a ring injected later
    truth = SimTruth.load(trading_world)
    clock = ManualClock(datetime.now(UTC))
    p = build_platform(tiny_settings(trading_world), clock=clock)
    try:
        shop = truth.merchants[0].shop_id
        products = catalog_queries.list_products(
            p.uow(readonly=True), PageRequest(limit=200), shop_id=shop
        ).items
        sku = max((s for pr in products for s in pr.skus), key=lambda s: s.stock)
        since = datetime.fromisoformat(truth.built_at) - timedelta(days=2)
        ring = inject_ring(
            p, clock, shop_id=shop, sku_id=sku.id, at=clock.now() + timedelta(hours=1)
        )
        until = clock.now() + timedelta(minutes=1)
        with p.uow(readonly=True) as uow:
            orders = TradeFacts(uow).orders(since, until)
        honest_shops = {o.shop_id for o in orders if o.buyer_id not in ring.buyer_ids}
        # when
        opened = risk.run_detectors(
            p.uow, since, until, detectors=("brushing_velocity", "brushing_rings")
        )
        # then: the ring's shop, both ways, and nobody else
        assert len(honest_shops) >= 5 and len(orders) >= len(ring.order_ids) + 40
        assert sorted((c.shop_id, c.reason_code) for c in opened) == [
            (shop, "brushing.linked_buyers"),
            (shop, "brushing.order_velocity"),
        ]
        ring_case = next(c for c in opened if c.reason_code == "brushing.linked_buyers")
        assert ring_case.evidence["buyers"] == sorted(ring.buyer_ids)
        assert set(ring.order_ids) <= set(ring_case.evidence["order_ids"])
        shared = {i.split(":")[0] for i in ring_case.evidence["shared_identifiers"]}
        assert shared == {"device", "instrument", "address"}
        # and running the detectors again opens nothing new
        again = risk.run_detectors(
            p.uow, since, until, detectors=("brushing_velocity", "brushing_rings")
        )
        assert sorted(c.id for c in again) == sorted(c.id for c in opened)
    finally:
        p.close()

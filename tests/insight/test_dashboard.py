"""The quality-GMV dashboard from real orders, payments, refunds, reviews and complaints."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests import factories
from xingqu.aftersales import services as aftersales
from xingqu.bootstrap import Platform
from xingqu.catalog import services as catalog
from xingqu.discovery import services as discovery
from xingqu.insight.dashboard import platform_dashboard, shop_dashboard
from xingqu.insight.facts import paid_order_facts
from xingqu.shared.access import SYSTEM, Actor
from xingqu.shared.clock import ManualClock
from xingqu.shared.errors import DomainError, ErrorKind
from xingqu.trade import services as trade

DAY1 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def _buy(p: Platform, buyer: Actor, sku_id: int, key: str, quantity: int = 1) -> int:
    order = trade.place_order(
        p.uow(), buyer, trade.PlaceOrder([trade.OrderLineSpec(sku_id, quantity)], key)
    )
    trade.pay_order(p.uow(), buyer, order.id, f"pay-{key}", payments=p.payments)
    return order.id


def _behave(p: Platform, who: Actor, action: str, product_id: int, value: float = 0.0) -> None:
    discovery.record_behaviour(
        p.uow(), who, discovery.RecordBehaviour(action, product_id=product_id, value=value)
    )


@pytest.fixture
def market(platform: Platform, clock: ManualClock) -> dict[str, object]:
    """Two shops (B's product in the rural programme), two buyers, three paid orders over two
    days: buyer 1 twice at A (then a 2-star review), buyer 2 once at B after clicking its
    product three hours earlier (then a complaint and a full refund)."""
    clock.set(DAY1)
    catalog.create_programme_tag(
        platform.uow(), SYSTEM, catalog.CreateProgrammeTag("rural_support", "Rural", "助农")
    )
    a_owner, a_shop = factories.merchant(platform)
    b_owner, b_shop = factories.merchant(platform)
    serum = factories.product(platform, a_owner, a_shop, price_fen=10_000)
    honey = factories.product(
        platform, b_owner, b_shop, price_fen=4_000, title_en="Honey", title_zh="蜂蜜",
        tags=["rural_support"],
    )  # fmt: skip
    one, two = factories.consumer(platform), factories.consumer(platform)
    o1 = _buy(platform, one, serum.skus[0].id, "o1")
    clock.advance(timedelta(days=1))
    o2 = _buy(platform, one, serum.skus[0].id, "o2", quantity=2)
    _behave(platform, two, "product_click", honey.id)
    clock.advance(timedelta(hours=3))
    o3 = _buy(platform, two, honey.skus[0].id, "o3")
    clock.advance(timedelta(minutes=5))
    _behave(platform, one, "review", serum.id, 2)
    _behave(platform, two, "complaint", honey.id)
    aftersales.open_request(
        platform.uow(),
        two,
        aftersales.OpenRequest(o3, "refund_only", "changed_mind", 4_000, "r3"),
        payments=platform.payments,
    )
    return {"orders": (o1, o2, o3), "shops": (a_shop, b_shop), "merchant_a": a_owner}


def test_each_paid_order_carries_the_facts_of_quality(
    platform: Platform, market: dict[str, object]
) -> None:
    o1, o2, o3 = market["orders"]  # type: ignore[misc]
    with platform.uow(readonly=True) as uow:
        facts = paid_order_facts(uow)
    got = {
        f.order_id: (f.paid_fen, f.refunded_fen, f.rural_fen, f.complained, f.worst_review,
                     f.first_at_shop, f.returning_buyer, f.new_category)
        for f in facts.orders
    }  # fmt: skip
    assert got == {
        o1: (10_000, 0, 0, False, None, True, False, True),
        o2: (20_000, 0, 0, False, 2, False, True, False),  # bought the category before
        o3: (4_000, 4_000, 4_000, True, None, True, False, False),  # clicked 3 h before
    }
    assert [stars for _, stars in facts.reviews] == [2]


def test_the_platform_dashboard_totals_and_days(
    platform: Platform, market: dict[str, object]
) -> None:
    dash = platform_dashboard(platform.uow(readonly=True), factories.operator(platform), days=7)
    t = dash.total
    assert (t.orders, t.gmv_fen, t.refunded_fen, t.net_gmv_fen) == (3, 34_000, 4_000, 30_000)
    assert t.quality_gmv_fen == 10_000  # o2 has a 2-star review, o3 a complaint
    assert t.rural_gmv_fen == 4_000
    assert (t.refund_rate, t.complaint_rate, t.good_review_rate) == (1 / 3, 1 / 3, 0.0)
    assert (t.new_customer_share, t.discovery_rate) == (2 / 3, 1 / 3)
    assert t.repurchase_rate == 1 / 2  # buyer 1 had paid before o2; buyer 2 had not
    assert (dash.first, dash.last) == (date(2026, 2, 24), date(2026, 3, 2))
    assert [(d.day, d.orders, d.gmv_fen) for d in dash.days][-3:] == [
        (date(2026, 2, 28), 0, 0),
        (date(2026, 3, 1), 1, 10_000),
        (date(2026, 3, 2), 2, 24_000),
    ]
    assert len(dash.days) == 7


def test_a_merchant_reads_only_their_own_shops_and_a_consumer_nothing(
    platform: Platform, market: dict[str, object]
) -> None:
    mine = shop_dashboard(platform.uow(readonly=True), market["merchant_a"], days=7)  # type: ignore[arg-type]
    assert (mine.total.orders, mine.total.gmv_fen, mine.total.reviews) == (2, 30_000, 1)
    assert mine.total.new_customer_share == 1 / 2
    with pytest.raises(DomainError) as caught:
        platform_dashboard(platform.uow(readonly=True), factories.consumer(platform))
    assert caught.value.kind is ErrorKind.FORBIDDEN

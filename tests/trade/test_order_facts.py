"""The facts other contexts read from trade instead of its tables: `fulfilment_facts` (governance's
shop-risk detectors) and `paid_order_lines` (insight's quality-GMV figures)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests import factories
from tests.trade.scenario import key, listing
from xingqu.aftersales import services as aftersales
from xingqu.bootstrap import Platform
from xingqu.shared.clock import ManualClock
from xingqu.shared.errors import DomainError
from xingqu.trade import queries, services
from xingqu.trade.errors import TradeError
from xingqu.trade.queries import FulfilmentFact, PaidOrderLines

HOUR = timedelta(hours=1)
MINUTES = timedelta(minutes=10)


def test_fulfilment_facts_carry_each_order_of_the_window_with_its_times_scans_and_refund(
    any_platform: Platform, clock: ManualClock
) -> None:
    # given an order before the window, three in it (shipped and scanned twice; refunded in part
    # at another shop; unpaid) and one after it
    p = any_platform
    item = listing(p, price_fen=5_000, stock=10)
    other = listing(p, price_fen=3_000, stock=10)
    buyer, ops = factories.consumer(p), factories.operator(p)

    def place(sku_id: int, quantity: int = 1, device: str | None = None) -> int:
        cmd = services.PlaceOrder(
            [services.OrderLineSpec(sku_id, quantity)], key(), address="1 Road", device_id=device
        )
        return services.place_order(p.uow(), buyer, cmd).id

    place(item.sku_id)
    clock.advance(HOUR)
    since = clock.now()
    shipped = place(item.sku_id, 2, "dev-1")
    card = services.pay_order(p.uow(), buyer, shipped, key(), payments=p.payments).instrument
    clock.advance(2 * HOUR)
    services.ship_order(p.uow(), item.merchant, shipped, "SF Express", "SF0001")
    clock.advance(HOUR)
    services.record_tracking(p.uow(), ops, shipped, "picked_up")
    clock.advance(HOUR)
    services.record_tracking(p.uow(), ops, shipped, "delivered")
    refunded = place(other.sku_id)
    services.pay_order(p.uow(), buyer, refunded, key(), payments=p.payments)
    aftersales.open_request(
        p.uow(),
        buyer,
        aftersales.OpenRequest(refunded, "refund_only", "changed_mind", 1_000, key()),
        payments=p.payments,
    )
    unpaid = place(item.sku_id)
    clock.advance(HOUR)
    until = clock.now()
    place(item.sku_id)
    # when
    with p.uow(readonly=True) as uow:
        facts = queries.fulfilment_facts(uow, since=since, until=until)
        of_other = queries.fulfilment_facts(uow, since=since, until=until, shop_ids=[other.shop_id])
    # then
    paid_late = since + 4 * HOUR
    assert facts == [
        FulfilmentFact(
            shipped, item.shop_id, buyer.user_id, "delivered", 10_000, since, since,
            since + 2 * HOUR, since + 48 * HOUR, since + 4 * HOUR, 0, "1 Road", "dev-1", card,
            (item.product_id,), 2,
        ),
        FulfilmentFact(
            refunded, other.shop_id, buyer.user_id, "paid", 3_000, paid_late, paid_late,
            None, paid_late + 48 * HOUR, None, 1_000, "1 Road", None, card,
            (other.product_id,), 0,
        ),
        FulfilmentFact(
            unpaid, item.shop_id, buyer.user_id, "pending_payment", 5_000, paid_late, None,
            None, None, None, 0, "1 Road", None, None, (item.product_id,), 0,
        ),
    ]  # fmt: skip
    assert of_other == [facts[1]]


def test_fulfilment_facts_refuse_a_window_that_ends_before_it_starts(
    platform: Platform, clock: ManualClock
) -> None:
    with platform.uow(readonly=True) as uow, pytest.raises(DomainError) as err:
        queries.fulfilment_facts(uow, since=clock.now(), until=clock.now() - HOUR)
    assert err.value.code == TradeError.INVALID_FILTER


def test_paid_order_lines_are_every_paid_order_in_payment_order_with_line_amounts(
    any_platform: Platform, clock: ManualClock
) -> None:
    # given a two-line order paid after a one-line order placed later, one refunded in part,
    # and an unpaid order
    p = any_platform
    serum = listing(p, price_fen=5_000, stock=10)
    mask = listing(p, price_fen=1_200, stock=10, merchant=serum.merchant)
    buyer = factories.consumer(p)
    start = clock.now()
    both = services.place_order(
        p.uow(),
        buyer,
        services.PlaceOrder(
            [services.OrderLineSpec(serum.sku_id, 2), services.OrderLineSpec(mask.sku_id, 1)], key()
        ),
    ).id
    clock.advance(MINUTES)
    single = services.place_order(
        p.uow(), buyer, services.PlaceOrder([services.OrderLineSpec(mask.sku_id, 3)], key())
    ).id
    services.pay_order(p.uow(), buyer, single, key(), payments=p.payments)
    clock.advance(MINUTES)
    services.pay_order(p.uow(), buyer, both, key(), payments=p.payments)
    aftersales.open_request(
        p.uow(),
        buyer,
        aftersales.OpenRequest(both, "refund_only", "changed_mind", 1_200, key()),
        payments=p.payments,
    )
    services.place_order(
        p.uow(), buyer, services.PlaceOrder([services.OrderLineSpec(mask.sku_id, 1)], key())
    )
    # when
    with p.uow(readonly=True) as uow:
        orders = queries.paid_order_lines(uow)
    # then
    shop = serum.shop_id
    assert orders == [
        PaidOrderLines(
            single, buyer.user_id, shop, start + MINUTES, start + MINUTES, 3_600, 0,
            ((mask.product_id, 3_600),),
        ),
        PaidOrderLines(
            both, buyer.user_id, shop, start, start + 2 * MINUTES, 11_200, 1_200,
            ((serum.product_id, 10_000), (mask.product_id, 1_200)),
        ),
    ]  # fmt: skip

"""The facts the merchant experience score reads, by shop and window, with exact numbers:
pickup time, on-time shipping and delivery, order counts (trade); after-sales handling time and
SLA, quality returns, customer-service first response (after-sales)."""

from __future__ import annotations

from datetime import timedelta

from tests import factories
from tests.aftersales.scenario import ask
from tests.trade import scenario
from tests.trade.scenario import key, listing
from xingqu.aftersales import queries as aftersales_queries
from xingqu.aftersales import services, tickets
from xingqu.aftersales.queries import Handling, Responses
from xingqu.bootstrap import Platform
from xingqu.shared.clock import ManualClock
from xingqu.trade import queries as trade_queries
from xingqu.trade import services as trade
from xingqu.trade.queries import OrderCounts, PickupTime, Punctuality

HOUR = timedelta(hours=1)


def test_pickup_shipping_and_delivery_punctuality_per_shop(
    any_platform: Platform, clock: ManualClock
) -> None:
    # given two shops: A ships one order in 10 h (scanned at 6 h) and one after 50 h; B ships in 2 h
    p = any_platform
    ops = factories.operator(p)
    a, b = listing(p, stock=20), listing(p, stock=20)
    buyer = factories.consumer(p)
    since = clock.now()
    fast, slow, other = (scenario.paid(p, buyer, x) for x in (a, a, b))
    unshipped = scenario.paid(p, buyer, a)
    clock.advance(2 * HOUR)
    trade.ship_order(p.uow(), b.merchant, other.id, "SF", "B1")
    clock.advance(8 * HOUR)  # +10 h
    trade.ship_order(p.uow(), a.merchant, fast.id, "SF", "A1")
    trade.record_tracking(p.uow(), ops, fast.id, "picked_up", occurred_at=since + 6 * HOUR)
    clock.advance(40 * HOUR)  # +50 h: past the 48 h ship-by
    trade.ship_order(p.uow(), a.merchant, slow.id, "SF", "A2")
    clock.advance(10 * HOUR)  # +60 h: fast delivered 50 h after shipping (on time); slow not yet
    trade.record_tracking(p.uow(), ops, fast.id, "delivered")
    clock.advance(100 * HOUR)  # +160 h: slow and other are past their delivery due (72 h)
    until = clock.now()
    # when
    with p.uow(readonly=True) as uow:
        pickup = trade_queries.pickup_times(uow, since=since, until=until)
        shipping = trade_queries.shipping_punctuality(uow, since=since, until=until)
        delivery = trade_queries.delivery_punctuality(uow, since=since, until=until)
        counts = trade_queries.order_counts(uow, since=since, until=until)
        only_b = trade_queries.shipping_punctuality(
            uow, since=since, until=until, shop_ids=[b.shop_id]
        )
    # then
    assert pickup == {
        a.shop_id: [
            PickupTime(fast.id, a.shop_id, since, since + 6 * HOUR),
            PickupTime(slow.id, a.shop_id, since, since + 50 * HOUR),
        ],
        b.shop_id: [PickupTime(other.id, b.shop_id, since, since + 2 * HOUR)],
    }
    assert pickup[a.shop_id][0].hours == 6.0
    # A: fast on time, slow late, unshipped late (past due); B: on time
    assert shipping == {a.shop_id: Punctuality(3, 1), b.shop_id: Punctuality(1, 1)}
    assert only_b == {b.shop_id: Punctuality(1, 1)}
    assert shipping[a.shop_id].rate == 1 / 3
    # delivery due 72 h after shipping: fast signed in time; slow and other never signed
    assert delivery == {a.shop_id: Punctuality(2, 1), b.shop_id: Punctuality(1, 0)}
    assert counts == {a.shop_id: OrderCounts(3, 1), b.shop_id: OrderCounts(1, 0)}
    assert unshipped.id not in {t.order_id for t in pickup[a.shop_id]}


def test_after_sales_handling_time_sla_and_quality_returns_per_shop(
    any_platform: Platform, clock: ManualClock
) -> None:
    # given four requests on one shop's shipped orders
    p = any_platform
    item = listing(p, stock=20)
    buyer = factories.consumer(p)
    since = clock.now()
    orders = [scenario.shipped(p, buyer, item) for _ in range(4)]
    quick = ask(p, buyer, orders[0].id, 100, reason="quality")
    slow = ask(p, buyer, orders[1].id, 100, reason="other")
    ask(p, buyer, orders[2].id, 100, reason="not_as_described")  # left to the timer
    ask(p, buyer, orders[3].id, 100, reason="changed_mind")  # first request on order 3
    ask(p, buyer, orders[3].id, 100, reason="quality")  # a later one: not its first reason
    clock.advance(2 * HOUR)
    services.approve_request(p.uow(), item.merchant, quick.id, payments=p.payments)
    clock.advance(46 * HOUR + timedelta(seconds=1))  # one second past the 48 h deadline
    services.reject_request(p.uow(), item.merchant, slow.id, "no")
    p.run_timers()  # approves `never` and the two on order 3 (all past their deadline)
    until = clock.now() + HOUR
    with p.uow(readonly=True) as uow:
        handling = aftersales_queries.handling_times(uow, since=since, until=until)
        quality = aftersales_queries.quality_returns(uow, since=since, until=until)
    deadline_s = 48 * 3600 + 1
    assert handling == {
        item.shop_id: Handling(
            opened=5,
            decided=5,
            decided_seconds=2 * 3600 + deadline_s * 4,
            within_sla=1,
            overdue=0,
        )
    }
    assert handling[item.shop_id].sla_rate == 0.2
    assert quality == {item.shop_id: 2}  # orders 0 and 2; order 3's first reason was not quality


def test_first_response_times_per_shop(any_platform: Platform, clock: ManualClock) -> None:
    p = any_platform
    item = listing(p)
    buyer = factories.consumer(p)
    since = clock.now()
    answered, late, _silent = (
        tickets.open_ticket(
            p.uow(), buyer, tickets.OpenTicket(item.shop_id, "Hello", "Question", key())
        )
        for _ in range(3)
    )
    clock.advance(timedelta(minutes=30))
    tickets.post_message(p.uow(), item.merchant, answered.id, "Answer")
    clock.advance(12 * HOUR)  # 12 h 30 min after opening: past the 12 h goal
    tickets.post_message(p.uow(), item.merchant, late.id, "Sorry")
    with p.uow(readonly=True) as uow:
        responses = aftersales_queries.first_responses(uow, since=since, until=clock.now())
    assert responses == {
        item.shop_id: Responses(
            opened=3,
            answered=2,
            response_seconds=30 * 60 + (12 * 3600 + 30 * 60),
            within_goal=1,
            overdue=1,
        )
    }
    assert responses[item.shop_id].mean_minutes == (30 + 750) / 2

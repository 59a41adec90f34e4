"""Scores recomputed from the platform's own data, with their breakdowns."""

from datetime import timedelta

from tests import factories
from tests.content import factories as made
from tests.trade.scenario import key, listing
from xingqu.bootstrap import Platform
from xingqu.discovery import services as discovery
from xingqu.discovery.services import RecordBehaviour
from xingqu.governance import queries, scores
from xingqu.shared.access import SYSTEM
from xingqu.shared.clock import ManualClock
from xingqu.trade import services as trade


def test_scores_come_from_orders_shipping_and_reviews(
    platform: Platform, clock: ManualClock
) -> None:
    # given: three orders led by a creator's video, shipped within two hours, reviewed 5, 4, 3
    p = platform
    item = listing(p, price_fen=9_900, stock=10)
    creator, creator_id = made.creator(p)
    video = made.item(p, creator, product_ids=[item.product_id]).id
    for stars in (5, 4, 3):
        buyer = factories.consumer(p)
        order = trade.place_order(
            p.uow(),
            buyer,
            trade.PlaceOrder([trade.OrderLineSpec(item.sku_id, 1, video)], key()),
        )
        trade.pay_order(p.uow(), buyer, order.id, key(), payments=p.payments)
        clock.advance(timedelta(hours=2))
        trade.ship_order(p.uow(), item.merchant, order.id, "SF Express", f"SF{order.id:08d}")
        trade.mark_delivered(p.uow(), SYSTEM, order.id)
        discovery.record_behaviours(
            p.uow(), buyer, [RecordBehaviour("review", product_id=item.product_id, value=stars)]
        )
    p.drain_events()
    # when
    run = scores.recompute_scores(p.uow)
    # then
    assert (run.shops, run.creators) == (1, 1)
    with p.uow(readonly=True) as uow:
        merchant = queries.merchant_scores(uow, [item.shop_id, 999])
        creators = queries.creator_reputations(uow, [creator_id])
    mine = merchant[item.shop_id]
    assert (mine.score, mine.breakdown["stage"]) == (70.0, "growth")
    indicators = {i["name"]: i for i in mine.breakdown["indicators"]}
    assert indicators["rating"]["value"] == 4.0 and indicators["rating"]["score"] == 60
    assert indicators["pickup_hours"]["value"] == 2.0 and indicators["pickup_hours"]["score"] == 100
    assert indicators["quality_return_rate"]["value"] == 0.0
    assert merchant[999].computed_at is None and merchant[999].score == 70.0
    reputation = creators[creator_id]
    assert reputation.breakdown["sales"] == 3
    assert reputation.breakdown["complaint_rate"] == 0.0
    # stars 5, 4, 3 (the older ones weigh a little less) → product quality just under 4.5;
    # no complaint, no refund → 5 and 5
    assert reputation.breakdown["product_quality"] == 4.499
    assert reputation.score == 4.83

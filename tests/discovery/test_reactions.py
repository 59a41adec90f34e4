"""Behaviour recorded from other contexts' events, exactly once however often they are relayed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from tests import factories
from tests.content import factories as made
from xingqu.bootstrap import Platform
from xingqu.content import services as content
from xingqu.discovery.models import BehaviourEvent
from xingqu.shared.events import Event
from xingqu.store.outbox import OutboxEvent

# Stand-ins with the names and payloads trade and after-sales publish (deliberately not
# registered, so that they never clash with the real event classes).


@dataclass(frozen=True, kw_only=True)
class CartItemAdded(Event):
    name = "trade.cart_item_added"
    aggregate = "cart"
    buyer_id: int
    sku_id: int
    product_id: int
    quantity: int
    content_id: int | None


@dataclass(frozen=True, kw_only=True)
class OrderPlaced(Event):
    name = "trade.order_placed"
    aggregate = "order"
    order_id: int
    buyer_id: int
    shop_id: int
    total_fen: int
    currency: str
    lines: list[dict[str, Any]]


@dataclass(frozen=True, kw_only=True)
class OrderPaid(Event):
    name = "trade.order_paid"
    aggregate = "order"
    order_id: int
    buyer_id: int
    shop_id: int
    amount_fen: int
    currency: str
    product_ids: list[int]


@dataclass(frozen=True, kw_only=True)
class RefundExecuted(Event):
    name = "aftersales.refund_executed"
    aggregate = "refund"
    refund_id: int
    order_id: int
    buyer_id: int
    amount_fen: int
    product_ids: list[int]


def _emit(p: Platform, *events: Event) -> None:
    with p.uow() as uow:
        for event in events:
            uow.emit(event)
        uow.commit()


def _log(p: Platform) -> list[tuple[Any, ...]]:
    ev = BehaviourEvent
    with p.uow(readonly=True) as uow:
        rows = uow.session.execute(
            select(
                ev.user_id,
                ev.action,
                ev.content_id,
                ev.product_id,
                ev.creator_id,
                ev.category_id,
                ev.value,
                ev.source_seq,
                ev.occurred_at,
            ).order_by(ev.id)
        )
        return [tuple(r) for r in rows]


def _replay_everything(p: Platform) -> None:
    """What a relay that crashed before marking its batch would do: deliver it all again."""
    with p.uow() as uow:
        uow.session.execute(update(OutboxEvent).values(published_at=None))
        uow.commit()


def test_trade_and_aftersales_events_become_behaviour_once(any_platform: Platform, clock) -> None:  # type: ignore[no-untyped-def]
    # given a buyer, a video by a creator and two products of two leaves, one shown in the video
    p = any_platform
    buyer = factories.consumer(p)
    creator, creator_id = made.creator(p)
    owner, shop = factories.merchant(p)
    serum_leaf, toner_leaf = factories.leaf_category(p), made.leaf(p, "toner")
    serum = factories.product(p, owner, shop).id
    toner = factories.product(p, owner, shop, category_id=toner_leaf).id
    video = made.item(p, creator, product_ids=[serum]).id
    at = clock.now()
    # when trade and after-sales report a cart, an order with two lines, its payment and a refund
    _emit(
        p,
        CartItemAdded(
            buyer_id=buyer.user_id, sku_id=1, product_id=serum, quantity=2, content_id=video
        ),
        OrderPlaced(
            order_id=7,
            buyer_id=buyer.user_id,
            shop_id=shop,
            total_fen=29_700,
            currency="CNY",
            lines=[
                {
                    "product_id": serum,
                    "sku_id": 1,
                    "quantity": 2,
                    "unit_price_fen": 9_900,
                    "content_id": video,
                },
                {
                    "product_id": toner,
                    "sku_id": 2,
                    "quantity": 1,
                    "unit_price_fen": 9_900,
                    "content_id": None,
                },
            ],
        ),
        OrderPaid(
            order_id=7,
            buyer_id=buyer.user_id,
            shop_id=shop,
            amount_fen=29_700,
            currency="CNY",
            product_ids=[serum, toner],
        ),
    )
    clock.advance(timedelta(hours=1))
    _emit(
        p,
        RefundExecuted(
            refund_id=3, order_id=7, buyer_id=buyer.user_id, amount_fen=9_900, product_ids=[toner]
        ),
    )
    assert p.drain_events() > 0
    # then each became behaviour rows, stamped with when the event happened
    b = buyer.user_id
    expected = [
        (b, "add_to_cart", video, serum, creator_id, serum_leaf, 2.0, 0, at),
        (b, "order", video, serum, creator_id, serum_leaf, 2.0, 0, at),
        (b, "order", None, toner, None, toner_leaf, 1.0, 1, at),
        (b, "pay", None, serum, None, serum_leaf, 0.0, 0, at),
        (b, "pay", None, toner, None, toner_leaf, 0.0, 1, at),
        (b, "refund", None, toner, None, toner_leaf, 0.0, 0, at + timedelta(hours=1)),
    ]
    assert _log(p) == expected
    # and draining again, or relaying every event a second time, adds nothing
    assert p.drain_events() == 0
    _replay_everything(p)
    assert p.drain_events() > 0
    assert _log(p) == expected


def test_following_a_creator_is_logged_once(platform: Platform, clock) -> None:  # type: ignore[no-untyped-def]
    # given a fan who follows a creator (twice: the second changes nothing)
    fan = factories.consumer(platform)
    _, creator_id = made.creator(platform)
    content.follow_creator(platform.uow(), fan, creator_id)
    content.follow_creator(platform.uow(), fan, creator_id)
    # when the outbox is relayed, and relayed again
    platform.drain_events()
    _replay_everything(platform)
    platform.drain_events()
    # then there is one follow row
    assert _log(platform) == [
        (fan.user_id, "follow", None, None, creator_id, None, 0.0, 0, clock.now())
    ]


def test_an_order_for_unknown_content_or_products_is_still_recorded(
    platform: Platform, clock
) -> None:  # type: ignore[no-untyped-def]
    # given an order naming content and a product that this database does not know
    buyer = factories.consumer(platform)
    _emit(
        platform,
        OrderPlaced(
            order_id=1,
            buyer_id=buyer.user_id,
            shop_id=1,
            total_fen=100,
            currency="CNY",
            lines=[
                {
                    "product_id": 404,
                    "sku_id": 9,
                    "quantity": 1,
                    "unit_price_fen": 100,
                    "content_id": 505,
                }
            ],
        ),
    )
    # when relayed / then the fact is kept without the facts it could not look up
    platform.drain_events()
    assert _log(platform) == [(buyer.user_id, "order", 505, 404, None, None, 1.0, 0, clock.now())]


def test_a_real_purchase_through_trade_is_logged(platform: Platform, clock) -> None:  # type: ignore[no-untyped-def]
    from xingqu.trade import services as trade

    # given a buyer who puts a product seen in a video into the cart, orders and pays for it
    buyer = factories.consumer(platform)
    creator, creator_id = made.creator(platform)
    owner, shop = factories.merchant(platform)
    product = factories.product(platform, owner, shop)
    video = made.item(platform, creator, product_ids=[product.id]).id
    sku = product.skus[0].id
    trade.add_to_cart(platform.uow(), buyer, sku, 2, content_id=video)
    order = trade.place_order(
        platform.uow(), buyer, trade.PlaceOrder([trade.OrderLineSpec(sku, 2, video)], "order-1")
    )
    trade.pay_order(platform.uow(), buyer, order.id, "pay-1", payments=platform.payments)
    # when the outbox is relayed
    platform.drain_events()
    # then the funnel is in the behaviour log
    leaf = factories.leaf_category(platform)
    b, at = buyer.user_id, clock.now()
    assert _log(platform) == [
        (b, "add_to_cart", video, product.id, creator_id, leaf, 2.0, 0, at),
        (b, "order", video, product.id, creator_id, leaf, 2.0, 0, at),
        (b, "pay", None, product.id, None, leaf, 0.0, 0, at),
    ]

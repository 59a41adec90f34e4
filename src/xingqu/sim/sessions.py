"""One consumer opening the app: scroll the feed, react to each item, maybe follow and buy.

Everything goes through the services: the feed (which logs its impressions), one batched
`record_behaviours` call for the watches, likes, shares and product clicks of the session,
`follow_creator`, and buying either at once (`place_order`, `pay_order`) or through the cart
(`add_to_cart`, `checkout`, `pay_order`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from xingqu.content import services as content
from xingqu.discovery import services as discovery
from xingqu.discovery.feed import FeedItem, FeedProduct, feed
from xingqu.discovery.rules import max_watch_seconds
from xingqu.shared.access import Actor
from xingqu.sim import agents
from xingqu.sim.agents import Shopper
from xingqu.sim.context import SimContext, consumer
from xingqu.trade import queries as trade_queries
from xingqu.trade import services as trade

FEED_PAGE = 20
SECOND_PAGE = 0.25  # chance of scrolling on to a second page of the feed


@dataclass(frozen=True, slots=True)
class Purchase:
    item: FeedItem
    product: FeedProduct
    quantity: int
    via_cart: bool


def run_session(
    ctx: SimContext, shopper: Shopper, day: int, number: int, follows: set[int]
) -> None:
    """Session `number` of `shopper` on `day`; `follows` (creator ids) is updated in place."""
    rng = ctx.rng("session", day, shopper.user_id, number)
    actor = consumer(shopper.user_id)
    report = ctx.report
    report.sessions += 1
    behaviours: list[discovery.RecordBehaviour] = []
    to_follow: list[int] = []
    purchases: list[Purchase] = []
    spent_s = 0
    pages = 2 if rng.random() < SECOND_PAGE else 1
    for _ in range(pages):
        page = ctx.attempt(
            feed, ctx.platform.uow(), actor, limit=FEED_PAGE, engine=ctx.platform.feed_engine
        )
        if page is None or not page.items:
            break
        report.feeds_served += 1
        report.items_shown += len(page.items)
        for item in page.items:
            spent_s += _react(
                ctx, rng, shopper, page.request_id, item, follows, behaviours, to_follow, purchases
            )
    # What follows happens after the scrolling (in the day's own time scale, never past the end).
    ctx.clock.set(
        min(ctx.clock.now() + ctx.scaled(timedelta(seconds=min(spent_s, 1800))), ctx.ends_at)
    )
    if behaviours:
        written = ctx.attempt(discovery.record_behaviours, ctx.platform.uow(), actor, behaviours)
        report.behaviour_rows += written or 0
    for creator_id in to_follow:
        if ctx.attempt(_follow, ctx, actor, creator_id) is not None:
            follows.add(creator_id)
            report.follows += 1
    _buy(ctx, rng, actor, purchases, key=f"sim-{ctx.seed}-d{day}-u{shopper.user_id}-s{number}")


def _react(
    ctx: SimContext,
    rng: random.Random,
    shopper: Shopper,
    request_id: str,
    item: FeedItem,
    follows: set[int],
    behaviours: list[discovery.RecordBehaviour],
    to_follow: list[int],
    purchases: list[Purchase],
) -> int:
    typical = ctx.typical_price_fen.get(item.category_id, 10_000)
    reaction = agents.react(
        rng,
        shopper,
        category_id=item.category_id,
        kind=item.kind,
        duration_s=item.duration_s,
        product_prices=[(p.min_price_fen, typical) for p in item.products],
        follows_creator=item.creator_id in follows,
    )
    seconds = min(float(reaction.watch_s), max_watch_seconds(item.duration_s))

    def row(action: str, product_id: int | None = None, value: float = 0.0) -> None:
        behaviours.append(
            discovery.RecordBehaviour(action, item.content_id, product_id, value, request_id)
        )

    row("watch", value=seconds)
    if reaction.like:
        row("like")
    if reaction.share:
        row("share")
    if reaction.follow and item.creator_id not in to_follow:
        to_follow.append(item.creator_id)
    if reaction.clicked_product is not None:
        product = item.products[reaction.clicked_product]
        row("product_click", product.product_id)
        if reaction.buys:
            purchases.append(Purchase(item, product, reaction.quantity, reaction.via_cart))
    return int(seconds)


def _follow(ctx: SimContext, actor: Actor, creator_id: int) -> bool:
    """Follow, answering True so that `attempt` can tell "done" from "refused" (None)."""
    content.follow_creator(ctx.platform.uow(), actor, creator_id)
    return True


def _buy(
    ctx: SimContext, rng: random.Random, actor: Actor, purchases: list[Purchase], *, key: str
) -> None:
    platform = ctx.platform
    report = ctx.report
    carted = False
    for n, purchase in enumerate(purchases):
        line = trade.OrderLineSpec(
            purchase.product.sku_id, purchase.quantity, purchase.item.content_id
        )
        if purchase.via_cart:
            added = ctx.attempt(
                trade.add_to_cart,
                platform.uow(),
                actor,
                line.sku_id,
                line.quantity,
                line.content_id,
            )
            if added is not None:
                report.cart_adds += 1
                carted = True
            continue
        order = ctx.attempt(
            trade.place_order,
            platform.uow(),
            actor,
            trade.PlaceOrder([line], f"{key}-{n}", _address(actor)),
        )
        if order is not None:
            report.orders_placed += 1
            _maybe_pay(ctx, rng, actor, order.id)
    if carted:
        orders = ctx.attempt(trade.checkout, platform.uow(), actor, f"{key}-cart", _address(actor))
        if orders is None:  # a line sold out meanwhile: the buyer empties the cart and moves on
            for cart_line in trade_queries.get_cart(platform.uow(readonly=True), actor):
                ctx.attempt(trade.remove_from_cart, platform.uow(), actor, cart_line.sku_id)
        for order in orders or []:
            report.orders_placed += 1
            _maybe_pay(ctx, rng, actor, order.id)


def _maybe_pay(ctx: SimContext, rng: random.Random, actor: Actor, order_id: int) -> None:
    if not agents.pays_at_once(rng):
        return  # left unpaid: the buyer pays or cancels it another day
    platform = ctx.platform
    paid = ctx.attempt(
        trade.pay_order,
        platform.uow(),
        actor,
        order_id,
        f"sim-pay-{order_id}",
        payments=platform.payments,
    )
    if paid is not None and paid.paid_at == ctx.clock.now():  # not a replay's earlier payment
        ctx.report.orders_paid += 1
        ctx.report.gmv_fen += paid.amount_fen


def _address(actor: Actor) -> str:
    return f"Simulated address {actor.user_id}, 模拟地址"

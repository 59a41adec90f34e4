"""Insight's read port: the facts of each paid order that the quality-GMV figures are computed from.

Everything here runs inside the caller's unit of work (read-only is fine) and checks no access:
the pages and the CLI that show the figures check who is asking.

Sources, all through the owning contexts' queries (insight reads no other context's tables): paid
orders with their lines' products and amounts from trade (`paid_order_lines`); product categories
and the products in a support programme from catalog (`product_categories`,
`programme_products`); the reviews, complaints and product engagements from discovery
(`product_feedback`).

Definitions (see `insight.rules` for the figures themselves):

- an order belongs to the day it was paid (UTC);
- a complaint or review is the buyer's about a product of the order, attached to the buyer's
  latest order of that product paid at or before it;
- `first_at_shop`: no earlier paid order of the buyer at the shop; `returning_buyer`: an earlier
  paid order anywhere;
- `new_category`: the buyer had neither paid for an earlier order in the category nor clicked,
  carted or ordered a product of it more than `DISCOVERY_LEAD` before placing this order (the
  clicks of the visit that led to the purchase are the discovery itself).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from xingqu.catalog import queries as catalog_queries
from xingqu.discovery import queries as discovery_queries
from xingqu.insight.rules import PaidOrderFacts
from xingqu.store.uow import UnitOfWork
from xingqu.trade import queries as trade_queries

DISCOVERY_LEAD = timedelta(hours=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ENGAGEMENTS = ("product_click", "add_to_cart", "order")
FEEDBACK = ("review", "complaint")


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """The paid orders of a window and the star ratings given in it."""

    orders: list[PaidOrderFacts]
    reviews: list[tuple[datetime, int]]  # (when, stars)


def paid_order_facts(
    uow: UnitOfWork,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    shop_ids: Collection[int] | None = None,
) -> OrderFacts:
    """Facts of the orders paid in [since, until) (every paid order without bounds), optionally
    of some shops only, with the reviews of those shops' products given in the window."""
    uow.require_active()
    since = since or EPOCH
    until = until or datetime.max.replace(tzinfo=UTC)
    history = trade_queries.paid_order_lines(uow)
    chosen = [
        p
        for p in history
        if since <= p.paid_at < until and (shop_ids is None or p.shop_id in shop_ids)
    ]
    products = {pid for p in history for pid, _ in p.lines}
    categories = catalog_queries.product_categories(uow, products)
    programme = catalog_queries.programme_products(uow, products)
    events = discovery_queries.product_feedback(
        uow, EPOCH, until, actions=(*FEEDBACK, *ENGAGEMENTS)
    )
    engaged: dict[tuple[int, int], datetime] = {}
    complaints: dict[tuple[int, int], list[datetime]] = defaultdict(list)
    reviews_by_pair: dict[tuple[int, int], list[tuple[datetime, int]]] = defaultdict(list)
    for user_id, product_id, action, value, at in events:
        if action in ENGAGEMENTS:
            category = categories.get(product_id)
            if category is not None and (user_id, category) not in engaged:
                engaged[(user_id, category)] = at  # events come oldest first
        elif action == "complaint":
            complaints[(user_id, product_id)].append(at)
        else:
            reviews_by_pair[(user_id, product_id)].append((at, round(value)))

    # Attach feedback to the buyer's latest order of the product paid at or before it.
    paid_times: dict[tuple[int, int], list[tuple[datetime, int]]] = defaultdict(list)
    for p in history:
        for pid, _ in p.lines:
            paid_times[(p.buyer_id, pid)].append((p.paid_at, p.order_id))
    complained: set[int] = set()
    worst: dict[int, int] = {}
    for pair, times in complaints.items():
        for at in times:
            order_id = _order_at(paid_times.get(pair, []), at)
            if order_id is not None:
                complained.add(order_id)
    for pair, given in reviews_by_pair.items():
        for at, stars in given:
            order_id = _order_at(paid_times.get(pair, []), at)
            if order_id is not None:
                worst[order_id] = min(stars, worst.get(order_id, stars))

    seen_shop: set[tuple[int, int]] = set()
    seen_buyer: set[int] = set()
    bought_category: dict[tuple[int, int], datetime] = {}
    facts: dict[int, PaidOrderFacts] = {}
    wanted = {p.order_id for p in chosen}
    for p in history:  # in payment order
        order_categories = {categories[pid] for pid, _ in p.lines if pid in categories}
        if p.order_id in wanted:
            cutoff = p.placed_at - DISCOVERY_LEAD
            new_category = bool(order_categories) and all(
                (p.buyer_id, c) not in bought_category
                and engaged.get((p.buyer_id, c), p.placed_at) >= cutoff
                for c in order_categories
            )
            facts[p.order_id] = PaidOrderFacts(
                order_id=p.order_id,
                buyer_id=p.buyer_id,
                shop_id=p.shop_id,
                paid_at=p.paid_at,
                paid_fen=p.paid_fen,
                refunded_fen=p.refunded_fen,
                rural_fen=min(
                    p.paid_fen, sum(amount for pid, amount in p.lines if pid in programme)
                ),
                complained=p.order_id in complained,
                worst_review=worst.get(p.order_id),
                first_at_shop=(p.buyer_id, p.shop_id) not in seen_shop,
                returning_buyer=p.buyer_id in seen_buyer,
                new_category=new_category,
            )
        seen_shop.add((p.buyer_id, p.shop_id))
        seen_buyer.add(p.buyer_id)
        for c in order_categories:
            bought_category.setdefault((p.buyer_id, c), p.paid_at)

    reviewed = {pid for _, pid in reviews_by_pair}
    shop_of_product = catalog_queries.product_shops(uow, reviewed) if shop_ids is not None else {}
    given_in_window = [
        (at, stars)
        for (_, pid), given in reviews_by_pair.items()
        if shop_ids is None or shop_of_product.get(pid) in shop_ids
        for at, stars in given
        if since <= at < until
    ]
    return OrderFacts([facts[p.order_id] for p in chosen], sorted(given_in_window))


def _order_at(times: list[tuple[datetime, int]], at: datetime) -> int | None:
    index = bisect_right(times, (at, 2**63))
    return times[index - 1][1] if index else None

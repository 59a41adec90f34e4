"""Inject a ring of fake orders (brushing, 刷单) into a simulated marketplace, through the services.

A few new consumer accounts, run by one person, buy one shop's product over and over within an
hour, from the same device, paying with the same card, to the same address, as brushing rings do to inflate a
shop's sales. Used by tests and the governance benchmark to check that the shop-risk detectors
find such a ring and no honest shop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from xingqu.bootstrap import Platform
from xingqu.identity import services as identity
from xingqu.shared.access import SYSTEM
from xingqu.shared.clock import ManualClock
from xingqu.trade import services as trade


@dataclass(frozen=True, slots=True)
class Ring:
    shop_id: int
    buyer_ids: list[int]
    order_ids: list[int]
    started_at: datetime


def inject_ring(
    platform: Platform,
    clock: ManualClock,
    *,
    shop_id: int,
    sku_id: int,
    at: datetime,
    buyers: int = 4,
    orders_each: int = 4,
    tag: str = "ring",
) -> Ring:
    """`buyers` accounts each place and pay `orders_each` orders of `sku_id` within an hour from
    `at`, sharing one device, one payment card and one delivery address."""
    accounts = [
        identity.register_user(
            platform.uow(),
            identity.RegisterUser(f"{tag}-{shop_id}-{n}", f"Buyer {n}", frozenset({"consumer"})),
            by=SYSTEM,
        ).actor()
        for n in range(buyers)
    ]
    shared_device = f"{tag}-device-{shop_id}"
    shared_card = f"{tag}-card-{shop_id}"
    address = f"Room 1, 8 Warehouse Road ({tag}) 仓库路8号"
    total = buyers * orders_each
    step = timedelta(minutes=50) / max(total - 1, 1)
    order_ids = []
    for i in range(total):
        buyer = accounts[i % buyers]
        clock.set(at + step * i)
        order = trade.place_order(
            platform.uow(),
            buyer,
            trade.PlaceOrder(
                [trade.OrderLineSpec(sku_id, 1)], f"{tag}-{shop_id}-{i}", address, shared_device
            ),
        )
        trade.pay_order(
            platform.uow(),
            buyer,
            order.id,
            f"{tag}-pay-{order.id}",
            payments=platform.payments,
            instrument=shared_card,
        )
        order_ids.append(order.id)
    platform.drain_events()
    return Ring(shop_id, [a.user_id for a in accounts], order_ids, at)

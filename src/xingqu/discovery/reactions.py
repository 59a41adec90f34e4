"""How discovery reacts to other contexts' events (wired by the composition root).

Each reaction turns one outbox event into behaviour rows stamped with the event's id, so that a
replayed event (the relay delivers at least once) records nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select

from xingqu.discovery.models import BehaviourEvent
from xingqu.discovery.port import DataPort
from xingqu.discovery.rules import Action
from xingqu.store.bus import Handler
from xingqu.store.outbox import OutboxEvent
from xingqu.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class _Fact:
    user_id: int
    action: Action
    product_id: int | None = None
    content_id: int | None = None
    creator_id: int | None = None
    value: float = 0.0
    shop_id: int | None = None


def record_cart_item_added(uow: UnitOfWork, event: OutboxEvent) -> None:
    p = event.payload
    fact = _Fact(
        p["buyer_id"],
        Action.ADD_TO_CART,
        p["product_id"],
        p.get("content_id"),
        value=float(p["quantity"]),
    )
    _record(uow, event, [fact])


def record_order_placed(uow: UnitOfWork, event: OutboxEvent) -> None:
    """One `order` row per order line, with the content that led to it."""
    p = event.payload
    facts = [
        _Fact(
            p["buyer_id"],
            Action.ORDER,
            line["product_id"],
            line.get("content_id"),
            value=float(line["quantity"]),
            shop_id=p["shop_id"],
        )
        for line in p["lines"]
    ]
    _record(uow, event, facts)


def record_order_paid(uow: UnitOfWork, event: OutboxEvent) -> None:
    p = event.payload
    _record(
        uow,
        event,
        [
            _Fact(p["buyer_id"], Action.PAY, pid, shop_id=p["shop_id"])
            for pid in _distinct(p["product_ids"])
        ],
    )


def record_refund_executed(uow: UnitOfWork, event: OutboxEvent) -> None:
    """One `refund` row per product, with the shop that sold it (from the log's order rows)."""
    p = event.payload
    _record(
        uow,
        event,
        [_Fact(p["buyer_id"], Action.REFUND, pid) for pid in _distinct(p["product_ids"])],
    )


def record_creator_followed(uow: UnitOfWork, event: OutboxEvent) -> None:
    p = event.payload
    _record(uow, event, [_Fact(p["user_id"], Action.FOLLOW, creator_id=p["creator_id"])])


REACTIONS: list[tuple[str, Handler]] = [
    ("trade.cart_item_added", record_cart_item_added),
    ("trade.order_placed", record_order_placed),
    ("trade.order_paid", record_order_paid),
    ("aftersales.refund_executed", record_refund_executed),
    ("content.creator_followed", record_creator_followed),
]


def _record(uow: UnitOfWork, event: OutboxEvent, facts: Sequence[_Fact]) -> None:
    uow.require_active()
    s = uow.session
    done = select(BehaviourEvent.id).where(BehaviourEvent.source_event_id == event.id).limit(1)
    if not facts or s.scalar(done) is not None:
        return
    data = DataPort(uow)
    contents = data.content_facts({f.content_id for f in facts if f.content_id is not None})
    categories = data.product_categories({f.product_id for f in facts if f.product_id is not None})
    shops = data.shops_of_products(
        {f.product_id for f in facts if f.product_id is not None and f.action == Action.REFUND}
    )
    rows: list[dict[str, Any]] = []
    for seq, fact in enumerate(facts):
        about = contents.get(fact.content_id) if fact.content_id is not None else None
        category = categories.get(fact.product_id) if fact.product_id is not None else None
        rows.append(
            {
                "user_id": fact.user_id,
                "action": fact.action.value,
                "content_id": fact.content_id,
                "product_id": fact.product_id,
                "creator_id": fact.creator_id or (about.creator_id if about else None),
                "category_id": category
                if category is not None
                else (about.category_id if about else None),
                "shop_id": fact.shop_id
                if fact.shop_id is not None
                else (shops.get(fact.product_id) if fact.product_id is not None else None),
                "value": fact.value,
                "request_id": None,
                "source_event_id": event.id,
                "source_seq": seq,
                "occurred_at": event.occurred_at,
            }
        )
    s.execute(insert(BehaviourEvent), rows)


def _distinct(ids: Sequence[int]) -> list[int]:
    return list(dict.fromkeys(ids))

"""Governance's read port for the facts it judges shops by, over the other contexts' queries.

Shop-risk detectors and scores need per-order facts (who bought, when, from which device, address
and payment instrument, when it shipped and whether the parcel ever moved, whether it was
refunded) and per-product feedback (reviews, complaints). `TradeFacts` is the port: the orders
come from `trade.queries.fulfilment_facts`, the reviews and complaints from
`discovery.queries.product_feedback`. Governance reads no other context's tables.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from xingqu.discovery import queries as discovery_queries
from xingqu.store.uow import UnitOfWork
from xingqu.trade import queries as trade_queries

OrderFact = trade_queries.FulfilmentFact
"""An order as the detectors judge it: trade's fulfilment facts, as they are."""


@dataclass(frozen=True, slots=True)
class Feedback:
    """A review (stars) or a complaint about a product, from the behaviour log."""

    user_id: int
    product_id: int
    action: str  # review, complaint
    stars: float
    at: datetime


class TradeFacts:
    """The adapter: reads inside the caller's unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        uow.require_active()
        self.uow = uow

    def orders(
        self, since: datetime, until: datetime, shop_ids: Collection[int] | None = None
    ) -> list[OrderFact]:
        """Orders placed in [since, until), oldest first (none for an empty window)."""
        if since >= until:
            return []
        return trade_queries.fulfilment_facts(self.uow, since=since, until=until, shop_ids=shop_ids)

    def feedback(self, since: datetime, until: datetime) -> list[Feedback]:
        return [
            Feedback(user_id, product_id, action, value, at)
            for user_id, product_id, action, value, at in discovery_queries.product_feedback(
                self.uow, since, until
            )
        ]

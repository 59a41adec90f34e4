"""Marketplace figures composed from each context's own counting queries, in one read."""

from __future__ import annotations

from dataclasses import dataclass

from xingqu.catalog import queries as catalog
from xingqu.content import queries as content
from xingqu.identity import services as identity
from xingqu.store.uow import UnitOfWork
from xingqu.trade import queries as trade


@dataclass(frozen=True, slots=True)
class Figures:
    users: int
    products: int  # on sale
    content: int  # published
    orders: int  # placed, whatever became of them
    gmv_fen: int  # paid, before refunds
    refunded_fen: int


def marketplace_figures(uow: UnitOfWork) -> Figures:
    with uow:
        totals = trade.order_totals(uow)
        return Figures(
            users=identity.count_users(uow),
            products=catalog.count_live_products(uow),
            content=content.count_published(uow),
            orders=totals.orders,
            gmv_fen=totals.paid_fen,
            refunded_fen=totals.refunded_fen,
        )

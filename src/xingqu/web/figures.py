"""The landing page's live figures: a read-only summary of the marketplace.

The contexts have no counting queries yet (the `insight` context will own marketplace metrics);
until then this page-level read model counts rows with one read-only query per figure. It only
reads, never writes, and nothing else depends on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from xingqu.catalog.models import Product
from xingqu.catalog.rules import ProductStatus
from xingqu.content.models import ContentItem
from xingqu.content.rules import ContentStatus
from xingqu.identity.models import User
from xingqu.store.uow import UnitOfWork
from xingqu.trade.models import Order, Payment


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
        s = uow.session
        users = s.scalar(select(func.count()).select_from(User)) or 0
        products = (
            s.scalar(
                select(func.count())
                .select_from(Product)
                .where(Product.status == ProductStatus.LIVE)
            )
            or 0
        )
        content = (
            s.scalar(
                select(func.count())
                .select_from(ContentItem)
                .where(ContentItem.status == ContentStatus.PUBLISHED)
            )
            or 0
        )
        orders = s.scalar(select(func.count()).select_from(Order)) or 0
        paid, refunded = s.execute(
            select(
                func.coalesce(func.sum(Payment.amount_fen), 0),
                func.coalesce(func.sum(Payment.refunded_fen), 0),
            )
        ).one()
        return Figures(users, products, content, orders, int(paid), int(refunded))

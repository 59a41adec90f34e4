"""Trade read side. Access as in `services`: a missing order is `trade.order_not_found`, someone
else's order is `shared.forbidden`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from xingqu.catalog import queries as catalog_queries
from xingqu.catalog import services as catalog
from xingqu.shared.access import Actor, Role
from xingqu.shared.errors import forbidden, invalid, not_found
from xingqu.shared.paging import Page, PageRequest
from xingqu.store.paging import count_rows, fetch_page
from xingqu.store.uow import UnitOfWork
from xingqu.trade.errors import TradeError
from xingqu.trade.models import CartLine, Order, Payment
from xingqu.trade.rules import OrderStatus


def get_order(uow: UnitOfWork, actor: Actor, order_id: int) -> Order:
    """The order, for its buyer, its shop's merchant or an operator."""
    with uow:
        order = uow.session.get(Order, order_id)
        if order is None:
            raise not_found(TradeError.ORDER_NOT_FOUND, "order", order_id)
        if not (
            actor.is_operator
            or order.buyer_id == actor.user_id
            or catalog.owns_shop(uow, actor, order.shop_id)
        ):
            raise forbidden("this order is neither yours nor your shop's")
        return order


def list_orders(
    uow: UnitOfWork,
    actor: Actor,
    page: PageRequest,
    *,
    as_merchant: bool = False,
    status: str | None = None,
) -> Page[Order]:
    """The actor's own orders, or with `as_merchant` the orders of the actor's shops; newest first."""
    where = []
    if status is not None:
        try:
            where.append(Order.status == OrderStatus(status))
        except ValueError:
            raise invalid(
                TradeError.INVALID_FILTER,
                f"unknown order status {status!r}; use one of {', '.join(OrderStatus)}",
            ) from None
    if as_merchant:
        actor.require(Role.MERCHANT)
        shop_ids = [shop.id for shop in catalog_queries.shops_of_user(uow, actor.user_id)]
        where.append(Order.shop_id.in_(shop_ids))
    else:
        where.append(Order.buyer_id == actor.user_id)
    with uow:
        s = uow.session
        return fetch_page(s, Order, where, [Order.id.desc()], page)


def get_cart(uow: UnitOfWork, actor: Actor) -> list[CartLine]:
    """The actor's cart lines, oldest first."""
    with uow:
        return list(
            uow.session.scalars(
                select(CartLine)
                .where(CartLine.buyer_id == actor.user_id)
                .order_by(CartLine.added_at, CartLine.id)
            )
        )


@dataclass(frozen=True, slots=True)
class OrderTotals:
    orders: int  # placed, whatever became of them
    paid_fen: int  # paid, before refunds
    refunded_fen: int


def order_totals(uow: UnitOfWork) -> OrderTotals:
    """Platform-wide order and payment totals (runs inside the caller's transaction)."""
    uow.require_active()
    paid, refunded = uow.session.execute(
        select(
            func.coalesce(func.sum(Payment.amount_fen), 0),
            func.coalesce(func.sum(Payment.refunded_fen), 0),
        )
    ).one()
    return OrderTotals(count_rows(uow.session, Order), int(paid), int(refunded))

"""One order's life: loading it for a change, moving it through the state machine, who may act.

Shared by the order use cases (`services`) and the refund booking (`refunds`).
"""

from __future__ import annotations

from sqlalchemy import select

from xingqu.catalog import services as catalog
from xingqu.shared.access import Actor, Role
from xingqu.shared.errors import forbidden, not_found
from xingqu.store.uow import UnitOfWork
from xingqu.trade.errors import TradeError
from xingqu.trade.models import Order
from xingqu.trade.rules import OrderStatus, check_transition

STAMPS: dict[OrderStatus, str] = {
    OrderStatus.PAID: "paid_at",
    OrderStatus.SHIPPED: "shipped_at",
    OrderStatus.DELIVERED: "delivered_at",
    OrderStatus.COMPLETED: "completed_at",
    OrderStatus.CANCELLED: "cancelled_at",
    OrderStatus.REFUNDED: "refunded_at",
}
"""The timestamp column each target state sets."""


def order_for_update(uow: UnitOfWork, order_id: int) -> Order:
    """The order under a row lock (PostgreSQL; SQLite write transactions are serial anyway)."""
    order = uow.session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if order is None:
        raise not_found(TradeError.ORDER_NOT_FOUND, "order", order_id)
    return order


def move(uow: UnitOfWork, order: Order, target: OrderStatus) -> None:
    """Move `order` to `target` if the state machine allows it, stamping the time."""
    check_transition(OrderStatus(order.status), target)
    order.status = target
    setattr(order, STAMPS[target], uow.clock.now())


def require_buyer(actor: Actor, order: Order) -> None:
    if actor.is_operator:
        return
    actor.require(Role.CONSUMER)
    if order.buyer_id != actor.user_id:
        raise forbidden("this order belongs to another buyer")


def require_shop_merchant(uow: UnitOfWork, actor: Actor, order: Order) -> None:
    catalog.require_shop_access(
        uow, actor, order.shop_id, "this order belongs to another merchant's shop"
    )

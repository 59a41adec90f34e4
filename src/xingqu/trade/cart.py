"""The buyer's cart: lines of SKUs on sale, each remembering the content it was added from (a
touch for the affiliate programme). `services.checkout` turns it into orders."""

from __future__ import annotations

from sqlalchemy import func, select

from xingqu.affiliate import services as affiliate
from xingqu.catalog import services as catalog
from xingqu.shared.access import Actor, Role
from xingqu.shared.errors import invalid, not_found
from xingqu.store.uow import UnitOfWork
from xingqu.trade import events
from xingqu.trade.errors import TradeError
from xingqu.trade.models import CartLine
from xingqu.trade.rules import MAX_LINES, validate_quantity


def add_to_cart(
    uow: UnitOfWork, actor: Actor, sku_id: int, quantity: int, content_id: int | None = None
) -> CartLine:
    """Put `quantity` units of a SKU on sale into the actor's cart (adding to a line already there)."""
    actor.require(Role.CONSUMER)
    validate_quantity(quantity)
    with uow:
        s = uow.session
        sku = catalog.sellable_sku(uow, sku_id)
        line = s.scalar(
            select(CartLine).where(CartLine.buyer_id == actor.user_id, CartLine.sku_id == sku_id)
        )
        now = uow.clock.now()
        if line is None:
            count = s.scalar(
                select(func.count()).select_from(CartLine).where(CartLine.buyer_id == actor.user_id)
            )
            if (count or 0) >= MAX_LINES:
                raise invalid(TradeError.INVALID_ORDER, f"a cart holds at most {MAX_LINES} lines")
            line = CartLine(
                buyer_id=actor.user_id,
                sku_id=sku_id,
                quantity=quantity,
                content_id=content_id,
                added_at=now,
                updated_at=now,
            )
            s.add(line)
        else:
            validate_quantity(line.quantity + quantity)
            line.quantity += quantity
            if content_id is not None:
                line.content_id = content_id
            line.updated_at = now
        s.flush()
        if content_id is not None:
            affiliate.note_touch(uow, actor.user_id, content_id, sku.product_id)
        uow.emit(
            events.CartItemAdded(
                buyer_id=actor.user_id,
                sku_id=sku_id,
                product_id=sku.product_id,
                quantity=quantity,
                content_id=content_id,
            )
        )
        uow.commit()
        return line


def remove_from_cart(uow: UnitOfWork, actor: Actor, sku_id: int) -> None:
    actor.require(Role.CONSUMER)
    with uow:
        line = uow.session.scalar(
            select(CartLine).where(CartLine.buyer_id == actor.user_id, CartLine.sku_id == sku_id)
        )
        if line is None:
            raise not_found(TradeError.CART_LINE_NOT_FOUND, "cart line for SKU", sku_id)
        uow.session.delete(line)
        uow.commit()

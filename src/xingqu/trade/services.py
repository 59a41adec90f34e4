"""Trade use cases (one transaction each) and the calls aftersales makes inside its transaction.

Access, the same in every service and query: an order that does not exist is
`trade.order_not_found` (404); an order that exists but is not the actor's to read or change is
`shared.forbidden` (403). Order ids are sequential, so hiding their existence would buy nothing.
Buyer actions need the consumer role; the shop's actions need its merchant; operators may act on
any order.

Idempotency: orders are unique per (buyer, idempotency key). A retry of `place_order` or
`checkout` with the same key returns the first result and reserves nothing more, including when
the two requests race (the loser's unique-constraint violation is rolled back and the winner's
order returned). `pay_order` charges the provider under the key `order:<id>`, so an order is
charged at most once whatever key the client sends.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from xingqu.affiliate import services as affiliate
from xingqu.catalog import services as catalog
from xingqu.ledger import services as ledger
from xingqu.ledger.rules import Account, EntryKind, credit, debit
from xingqu.shared.access import Actor, Role
from xingqu.shared.errors import conflict, forbidden, invalid
from xingqu.store.uow import UnitOfWork
from xingqu.trade import events
from xingqu.trade.cancellation import cancel
from xingqu.trade.cart import add_to_cart, remove_from_cart
from xingqu.trade.deadlines import ShipPromise, order_ship_by, passed, payment_deadline
from xingqu.trade.errors import TradeError
from xingqu.trade.fulfilment import (
    cancel_out_of_stock,
    confirm_receipt,
    mark_delivered,
    record_tracking,
    ship_order,
)
from xingqu.trade.lifecycle import move, order_for_update, require_buyer
from xingqu.trade.models import CartLine, Order, OrderLine, Payment
from xingqu.trade.payments import PaymentProvider
from xingqu.trade.promises import product_promises
from xingqu.trade.refunds import OrderMoney, order_for_refund, record_refund
from xingqu.trade.rules import (
    OrderStatus,
    PaymentStatus,
    check_buyer_may_cancel,
    check_transition,
    checkout_order_key,
    order_insurance,
    order_total,
    validate_address,
    validate_device_id,
    validate_idempotency_key,
    validate_instrument,
    validate_order_lines,
    validate_reason,
)
from xingqu.trade.terms import DEFAULT_TERMS, Terms

__all__ = [
    "OrderLineSpec",
    "OrderMoney",
    "PlaceOrder",
    "add_to_cart",
    "cancel_order",
    "cancel_out_of_stock",
    "checkout",
    "confirm_receipt",
    "mark_delivered",
    "order_for_refund",
    "pay_order",
    "place_order",
    "provider_charge_key",
    "record_refund",
    "record_tracking",
    "remove_from_cart",
    "set_open_requests",
    "ship_order",
]
"""`order_for_refund` and `record_refund` (participants in aftersales' transaction) live in
`trade.refunds` and are re-exported here with the other services."""

# --- commands ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderLineSpec:
    sku_id: int
    quantity: int
    content_id: int | None = None  # the content (video, livestream, post) that led to the purchase


@dataclass(frozen=True)
class PlaceOrder:
    lines: list[OrderLineSpec]
    idempotency_key: str
    address: str = ""
    device_id: str | None = None  # the buyer's device, as their client reports it


def provider_charge_key(order_id: int) -> str:
    return f"order:{order_id}"


# --- buyer: orders ----------------------------------------------------------------------------


def place_order(
    uow: UnitOfWork, actor: Actor, cmd: PlaceOrder, *, terms: Terms = DEFAULT_TERMS
) -> Order:
    """Buy now: one order for SKUs of one shop, stock reserved in the same transaction."""
    actor.require(Role.CONSUMER)
    validate_idempotency_key(cmd.idempotency_key)
    validate_order_lines([(line.sku_id, line.quantity) for line in cmd.lines])
    validate_address(cmd.address)
    validate_device_id(cmd.device_id)
    try:
        with uow:
            existing = _order_by_key(uow, actor.user_id, cmd.idempotency_key)
            if existing is not None:
                return _same_request(existing, cmd)
            order = _create_order(
                uow,
                actor.user_id,
                cmd.lines,
                cmd.idempotency_key,
                None,
                cmd.address,
                cmd.device_id,
                terms,
            )
            uow.commit()
            return order
    except IntegrityError as exc:
        race = exc  # a concurrent request with the same key won; its order is the answer
    with uow:
        existing = _order_by_key(uow, actor.user_id, cmd.idempotency_key)
        if existing is None:
            raise race
        return _same_request(existing, cmd)


def checkout(
    uow: UnitOfWork,
    actor: Actor,
    idempotency_key: str,
    address: str = "",
    *,
    device_id: str | None = None,
    terms: Terms = DEFAULT_TERMS,
) -> list[Order]:
    """Turn the actor's cart into one order per shop and empty the cart.

    Every line must still be on sale and in stock, or nothing happens (the buyer removes the line
    and checks out again)."""
    actor.require(Role.CONSUMER)
    validate_idempotency_key(idempotency_key)
    validate_address(address)
    validate_device_id(device_id)
    try:
        with uow:
            s = uow.session
            # Lock the cart first: a concurrent checkout of the same cart waits here, then finds
            # the lines gone and (same key) the orders made.
            lines = list(
                s.scalars(
                    select(CartLine)
                    .where(CartLine.buyer_id == actor.user_id)
                    .order_by(CartLine.sku_id)
                    .with_for_update()
                )
            )
            existing = _orders_of_checkout(uow, actor.user_id, idempotency_key)
            if existing:
                return existing
            if not lines:
                raise conflict(TradeError.CART_EMPTY, "the cart is empty")
            by_shop: dict[int, list[OrderLineSpec]] = {}
            for line in lines:
                sku = catalog.sellable_sku(uow, line.sku_id)
                by_shop.setdefault(sku.shop_id, []).append(
                    OrderLineSpec(line.sku_id, line.quantity, line.content_id)
                )
            orders = [
                _create_order(
                    uow,
                    actor.user_id,
                    specs,
                    checkout_order_key(idempotency_key, shop_id),
                    idempotency_key,
                    address,
                    device_id,
                    terms,
                )
                for shop_id, specs in sorted(by_shop.items())
            ]
            for line in lines:
                s.delete(line)
            uow.commit()
            return orders
    except IntegrityError as exc:
        race = exc
    with uow:
        existing = _orders_of_checkout(uow, actor.user_id, idempotency_key)
        if not existing:
            raise race
        return existing


def pay_order(
    uow: UnitOfWork,
    actor: Actor,
    order_id: int,
    idempotency_key: str,
    *,
    payments: PaymentProvider,
    instrument: str | None = None,
    terms: Terms = DEFAULT_TERMS,
) -> Payment:
    """Charge the order's total to the buyer's `instrument` (their default one when None). A retry
    with the same key returns the same payment; the provider is charged once. A provider failure
    leaves the order unpaid and nothing written."""
    validate_idempotency_key(idempotency_key)
    validate_instrument(instrument)
    try:
        with uow:
            order = order_for_update(uow, order_id)
            require_buyer(actor, order)
            existing = _payment_by_key(uow, order.buyer_id, idempotency_key)
            if existing is not None:
                return _same_order(existing, order_id)
            check_transition(OrderStatus(order.status), OrderStatus.PAID)
            deadline = payment_deadline(order.placed_at, terms)
            if passed(deadline, uow.clock.now()):
                raise conflict(
                    TradeError.PAYMENT_EXPIRED,
                    f"order {order.id} had to be paid by {deadline.isoformat()}; it is being "
                    "cancelled and its stock released",
                    pay_by=deadline.isoformat(),
                )
            charge = payments.charge(
                order.total,
                idempotency_key=provider_charge_key(order.id),
                payer=f"user:{order.buyer_id}",
                instrument=instrument,
            )
            now = uow.clock.now()
            payment = Payment(
                order_id=order.id,
                buyer_id=order.buyer_id,
                amount_fen=order.total_fen,
                currency=order.currency,
                provider_reference=charge.reference,
                instrument=charge.instrument,
                idempotency_key=idempotency_key,
                status=PaymentStatus.CAPTURED,
                refunded_fen=0,
                paid_at=now,
                updated_at=now,
            )
            order.payment = payment
            move(uow, order, OrderStatus.PAID)
            order.ship_by = order_ship_by(
                ((ShipPromise(ln.ship_promise), ln.ship_within_hours) for ln in order.lines),
                now,
                terms,
            )
            uow.flush()
            ledger.post(
                uow,
                EntryKind.PAYMENT,
                f"payment:order:{order.id}",
                [
                    debit(Account.BUYER_PAYMENTS, payment.amount_fen),
                    credit(Account.ORDER_ESCROW, payment.amount_fen),
                ],
                currency=payment.currency,
                order_id=order.id,
                memo=f"payment {charge.reference} for order {order.id}",
            )
            uow.emit(
                events.OrderPaid(
                    order_id=order.id,
                    buyer_id=order.buyer_id,
                    shop_id=order.shop_id,
                    amount_fen=order.total_fen,
                    currency=order.currency,
                    product_ids=order.product_ids,
                    instrument=payment.instrument,
                )
            )
            uow.commit()
            return payment
    except IntegrityError as exc:
        race = exc
    with uow:
        buyer_id = order_for_update(uow, order_id).buyer_id
        existing = _payment_by_key(uow, buyer_id, idempotency_key)
        if existing is None:
            raise race
        return _same_order(existing, order_id)


def cancel_order(
    uow: UnitOfWork,
    actor: Actor,
    order_id: int,
    reason: str = "buyer",
    *,
    payments: PaymentProvider | None = None,
) -> Order:
    """Cancel before shipping and give the stock back.

    The buyer cancels an unpaid order; an operator also a paid one, which refunds what is left of
    the payment through `payments`."""
    validate_reason(reason)
    with uow:
        order = order_for_update(uow, order_id)
        current = OrderStatus(order.status)
        if actor.is_operator:
            check_transition(current, OrderStatus.CANCELLED)
        elif actor.user_id == order.buyer_id:
            check_buyer_may_cancel(current)
        else:
            raise forbidden("this order belongs to another buyer")
        cancel(uow, order, reason.strip(), payments)
        uow.commit()
        return order


def set_open_requests(uow: UnitOfWork, order_id: int, count: int) -> None:
    """Aftersales tells how many of its requests on the order are in progress (participant
    call): while any is, the order is neither confirmed automatically nor settled."""
    uow.require_active()
    order = order_for_update(uow, order_id)
    order.open_requests = count


# --- internals --------------------------------------------------------------------------------


def _create_order(
    uow: UnitOfWork,
    buyer_id: int,
    specs: list[OrderLineSpec],
    idempotency_key: str,
    checkout_key: str | None,
    address: str,
    device_id: str | None,
    terms: Terms,
) -> Order:
    skus = [catalog.sellable_sku(uow, spec.sku_id) for spec in specs]
    shops = {sku.shop_id for sku in skus}
    if len(shops) != 1:
        raise invalid(
            TradeError.MIXED_SHOPS,
            "all lines of an order come from one shop",
            shop_ids=sorted(shops),
        )
    # Reserve in SKU order so that concurrent multi-line orders never wait on each other in a cycle.
    for spec in sorted(specs, key=lambda spec: spec.sku_id):
        catalog.reserve_stock(uow, spec.sku_id, spec.quantity)
    total = order_total(
        (sku.unit_price, spec.quantity) for sku, spec in zip(skus, specs, strict=True)
    )
    promises = product_promises(uow, {sku.product_id for sku in skus}, terms)
    order = Order(
        buyer_id=buyer_id,
        shop_id=shops.pop(),
        status=OrderStatus.PENDING_PAYMENT,
        total_fen=total.amount,
        currency=total.currency,
        idempotency_key=idempotency_key,
        checkout_key=checkout_key,
        address=address.strip(),
        device_id=device_id,
        placed_at=uow.clock.now(),
        payment=None,  # known to be absent: readable after the transaction without a lazy load
        shipment=None,
        lines=[
            OrderLine(
                sku_id=sku.sku_id,
                product_id=sku.product_id,
                title=sku.title,
                sku_name=sku.sku_name,
                quantity=spec.quantity,
                unit_price_fen=sku.unit_price.amount,
                content_id=spec.content_id,
                ship_promise=promises[sku.product_id].ship_promise,
                ship_within_hours=promises[sku.product_id].ship_within_hours,
                return_policy=promises[sku.product_id].return_policy,
            )
            for sku, spec in zip(skus, specs, strict=True)
        ],
        instant_refund=all(promises[sku.product_id].instant_refund for sku in skus),
        insurance_tier=order_insurance(promises[sku.product_id].insurance_tier for sku in skus),
    )
    uow.session.add(order)
    uow.flush()  # a duplicate idempotency key fails here
    affiliate.attribute_order(
        uow,
        order_id=order.id,
        buyer_id=buyer_id,
        shop_id=order.shop_id,
        placed_at=order.placed_at,
        lines=[
            affiliate.LineFact(line.id, line.product_id, line.content_id, line.total_fen)
            for line in order.lines
        ],
        terms=terms,
    )
    uow.emit(
        events.OrderPlaced(
            order_id=order.id,
            buyer_id=buyer_id,
            shop_id=order.shop_id,
            total_fen=order.total_fen,
            currency=order.currency,
            lines=[
                {
                    "product_id": line.product_id,
                    "sku_id": line.sku_id,
                    "quantity": line.quantity,
                    "unit_price_fen": line.unit_price_fen,
                    "content_id": line.content_id,
                }
                for line in order.lines
            ],
            device_id=order.device_id,
        )
    )
    return order


def _order_by_key(uow: UnitOfWork, buyer_id: int, key: str) -> Order | None:
    return uow.session.scalar(
        select(Order).where(Order.buyer_id == buyer_id, Order.idempotency_key == key)
    )


def _orders_of_checkout(uow: UnitOfWork, buyer_id: int, checkout_key: str) -> list[Order]:
    return list(
        uow.session.scalars(
            select(Order)
            .where(Order.buyer_id == buyer_id, Order.checkout_key == checkout_key)
            .order_by(Order.id)
        )
    )


def _payment_by_key(uow: UnitOfWork, buyer_id: int, key: str) -> Payment | None:
    return uow.session.scalar(
        select(Payment).where(Payment.buyer_id == buyer_id, Payment.idempotency_key == key)
    )


def _same_request(order: Order, cmd: PlaceOrder) -> Order:
    """A retry must ask for what the first request asked for; a reused key for another order is refused."""
    asked = sorted((line.sku_id, line.quantity) for line in cmd.lines)
    placed = sorted((line.sku_id, line.quantity) for line in order.lines)
    if asked != placed:
        raise conflict(
            TradeError.IDEMPOTENCY_KEY_REUSED,
            "this idempotency key was used for a different order",
            order_id=order.id,
        )
    return order


def _same_order(payment: Payment, order_id: int) -> Payment:
    if payment.order_id != order_id:
        raise conflict(
            TradeError.IDEMPOTENCY_KEY_REUSED,
            "this idempotency key was used to pay another order",
            order_id=payment.order_id,
        )
    return payment

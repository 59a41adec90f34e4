"""Pure trade rules: the order state machine, order and shipment validation, refund arithmetic.

No I/O: everything here is tested without a database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import TypeVar

from xingqu.shared.errors import conflict, invalid
from xingqu.shared.money import Money
from xingqu.trade.errors import TradeError
from xingqu.trade.terms import CompensationRule, InsuranceTier

E = TypeVar("E", bound=StrEnum)

MAX_LINES = 50
MAX_QUANTITY = 999
MAX_ADDRESS = 300
MAX_REASON = 80
MAX_CARRIER = 40
MAX_TRACKING_NO = 64
MAX_SHIP_WITHIN_HOURS = 720
MAX_DEVICE_ID = 64
MAX_INSTRUMENT = 64
OPAQUE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
"""Device ids and payment instruments given by clients: 1–64 of A–Z a–z 0–9 _ . : -."""
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
"""Client idempotency keys: 1–64 of A–Z a–z 0–9 _ . : - (a UUID fits). `#` is never allowed, so
the keys derived for checkout orders (`key#shop_id`) cannot collide with a client's own key."""


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


ORDER_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING_PAYMENT: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED, OrderStatus.REFUNDED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED, OrderStatus.REFUNDED}),
    OrderStatus.DELIVERED: frozenset({OrderStatus.COMPLETED, OrderStatus.REFUNDED}),
    OrderStatus.COMPLETED: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}
"""Every allowed move of an order; anything else is `trade.invalid_transition`.

An order becomes `refunded` when everything paid for it has been refunded, from any paid state.
`paid → cancelled` is an operator's cancellation before shipping (with a full refund); a buyer
cancels only an unpaid order and otherwise asks for a refund."""

REFUNDABLE_STATUSES = frozenset(
    {OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED}
)
"""States in which money has been taken and can still be given back."""


def check_transition(current: OrderStatus, target: OrderStatus) -> None:
    if target not in ORDER_TRANSITIONS[current]:
        raise conflict(
            TradeError.INVALID_TRANSITION,
            f"an order cannot go from {current} to {target}",
            current=str(current),
            target=str(target),
        )


def check_buyer_may_cancel(current: OrderStatus) -> None:
    """In this cut a buyer cancels only an unpaid order; a paid one is refunded instead."""
    check_transition(current, OrderStatus.CANCELLED)
    if current != OrderStatus.PENDING_PAYMENT:
        raise conflict(
            TradeError.CANCEL_NOT_ALLOWED,
            "a paid order cannot be cancelled by the buyer; request a refund instead",
            current=str(current),
        )


class TrackingKind(StrEnum):
    """A carrier's scan of a parcel."""

    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"


class PaymentStatus(StrEnum):
    CAPTURED = "captured"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


def payment_status(paid: Money, refunded: Money) -> PaymentStatus:
    if refunded.amount == 0:
        return PaymentStatus.CAPTURED
    if refunded.amount < paid.amount:
        return PaymentStatus.PARTIALLY_REFUNDED
    return PaymentStatus.REFUNDED


def check_refund(paid: Money, refunded: Money, amount: Money) -> None:
    """A refund is positive, in the payment's currency and never takes the total beyond `paid`."""
    if amount.amount <= 0:
        raise invalid(TradeError.INVALID_REFUND, f"a refund must be positive, got {amount}")
    if amount.currency != paid.currency:
        raise invalid(
            TradeError.INVALID_REFUND, f"the payment is in {paid.currency}, not {amount.currency}"
        )
    if refunded.amount + amount.amount > paid.amount:
        raise conflict(
            TradeError.REFUND_EXCEEDS_PAID,
            f"refunding {amount} would exceed the {paid} paid ({refunded} already refunded)",
            paid_fen=paid.amount,
            refunded_fen=refunded.amount,
            amount_fen=amount.amount,
        )


def validate_idempotency_key(key: str) -> None:
    if not isinstance(key, str) or not IDEMPOTENCY_KEY.match(key):
        raise invalid(
            TradeError.INVALID_IDEMPOTENCY_KEY,
            "idempotency keys are 1–64 characters: A–Z, a–z, 0–9, '_', '.', ':', '-'",
        )


def checkout_order_key(checkout_key: str, shop_id: int) -> str:
    """The stored idempotency key of the order a checkout makes for one shop."""
    return f"{checkout_key}#{shop_id}"


def validate_quantity(quantity: int) -> None:
    if type(quantity) is not int or not 1 <= quantity <= MAX_QUANTITY:
        raise invalid(
            TradeError.INVALID_QUANTITY, f"quantity must be 1..{MAX_QUANTITY}, got {quantity!r}"
        )


def validate_order_lines(sku_quantities: list[tuple[int, int]]) -> None:
    """An order has 1..MAX_LINES lines, each for a different SKU and a valid quantity."""
    if not 1 <= len(sku_quantities) <= MAX_LINES:
        raise invalid(TradeError.INVALID_ORDER, f"an order needs between 1 and {MAX_LINES} lines")
    skus = [sku_id for sku_id, _ in sku_quantities]
    if len(set(skus)) != len(skus):
        raise invalid(TradeError.INVALID_ORDER, "each SKU may appear on one line only")
    for _, quantity in sku_quantities:
        validate_quantity(quantity)


def validate_address(address: str) -> None:
    if len(address) > MAX_ADDRESS:
        raise invalid(TradeError.INVALID_ORDER, f"addresses are at most {MAX_ADDRESS} characters")


def validate_device_id(device_id: str | None) -> None:
    if device_id is not None and not (isinstance(device_id, str) and OPAQUE_ID.match(device_id)):
        raise invalid(
            TradeError.INVALID_ORDER,
            f"a device id is 1–{MAX_DEVICE_ID} characters: A–Z, a–z, 0–9, '_', '.', ':', '-'",
        )


def validate_instrument(instrument: str | None) -> None:
    if instrument is not None and not (isinstance(instrument, str) and OPAQUE_ID.match(instrument)):
        raise invalid(
            TradeError.INVALID_PAYMENT,
            f"a payment instrument is 1–{MAX_INSTRUMENT} characters: A–Z, a–z, 0–9, '_', '.', ':', '-'",
        )


def validate_reason(reason: str) -> None:
    if not reason.strip() or len(reason) > MAX_REASON:
        raise invalid(TradeError.INVALID_ORDER, f"a cancel reason is 1–{MAX_REASON} characters")


def validate_shipment(carrier: str, tracking_no: str) -> None:
    if not carrier.strip() or len(carrier) > MAX_CARRIER:
        raise invalid(TradeError.INVALID_SHIPMENT, f"the carrier is 1–{MAX_CARRIER} characters")
    if not tracking_no.strip() or len(tracking_no) > MAX_TRACKING_NO:
        raise invalid(
            TradeError.INVALID_SHIPMENT, f"the tracking number is 1–{MAX_TRACKING_NO} characters"
        )


def order_total(priced_lines: Iterable[tuple[Money, int]]) -> Money:
    """Σ unit price × quantity; all lines must share one currency."""
    lines = list(priced_lines)
    total = Money.zero(lines[0][0].currency) if lines else Money.zero()
    for unit_price, quantity in lines:
        total = total + unit_price.times(quantity)
    return total


def compensation_fen(paid_fen: int, rule: CompensationRule) -> int:
    """A coupon worth the rule's share of the paid amount, raised to its floor, cut to its cap."""
    return min(max(paid_fen * rule.rate_bp // 10_000, rule.floor_fen), rule.cap_fen)


def parse_choice(
    kind: type[E], value: str, what: str, code: StrEnum = TradeError.INVALID_TERMS
) -> E:
    """`value` as a member of `kind`, or an `invalid` error with `code` naming the choices (the
    contexts that build on trade use it with their own codes)."""
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise invalid(code, f"a {what} is one of {choices}, got {value!r}") from None


INSURANCE_ORDER = (
    InsuranceTier.NONE,
    InsuranceTier.SMALL,
    InsuranceTier.UPGRADED,
    InsuranceTier.LARGE,
)


def order_insurance(tiers: Iterable[InsuranceTier | str]) -> InsuranceTier:
    """An order's parcel is covered by the best return-shipping insurance of any of its products."""
    ranks = [INSURANCE_ORDER.index(InsuranceTier(t)) for t in tiers]
    return INSURANCE_ORDER[max(ranks, default=0)]

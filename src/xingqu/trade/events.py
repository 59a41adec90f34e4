"""What happened in trade. Names and payload fields are a contract: discovery and insight read them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xingqu.shared.events import Event, register


@register
@dataclass(frozen=True, kw_only=True)
class CartItemAdded(Event):
    """`quantity` is the number of units added by this action (not the line's new total)."""

    name = "trade.cart_item_added"
    aggregate = "cart"
    buyer_id: int
    sku_id: int
    product_id: int
    quantity: int
    content_id: int | None


@register
@dataclass(frozen=True, kw_only=True)
class OrderPlaced(Event):
    """`lines`: [{product_id, sku_id, quantity, unit_price_fen, content_id}, ...]; `device_id`:
    the buyer's device when their client sent one."""

    name = "trade.order_placed"
    aggregate = "order"
    order_id: int
    buyer_id: int
    shop_id: int
    total_fen: int
    currency: str
    lines: list[dict[str, Any]]
    device_id: str | None = None


@register
@dataclass(frozen=True, kw_only=True)
class OrderPaid(Event):
    """`instrument`: the fingerprint of the payment instrument the provider reported."""

    name = "trade.order_paid"
    aggregate = "order"
    order_id: int
    buyer_id: int
    shop_id: int
    amount_fen: int
    currency: str
    product_ids: list[int]
    instrument: str | None = None


@register
@dataclass(frozen=True, kw_only=True)
class OrderCancelled(Event):
    name = "trade.order_cancelled"
    aggregate = "order"
    order_id: int
    buyer_id: int
    reason: str


@register
@dataclass(frozen=True, kw_only=True)
class OrderShipped(Event):
    name = "trade.order_shipped"
    aggregate = "order"
    order_id: int
    shop_id: int
    carrier: str
    tracking_no: str


@register
@dataclass(frozen=True, kw_only=True)
class OrderDelivered(Event):
    name = "trade.order_delivered"
    aggregate = "order"
    order_id: int


@register
@dataclass(frozen=True, kw_only=True)
class OrderCompleted(Event):
    name = "trade.order_completed"
    aggregate = "order"
    order_id: int
    buyer_id: int


@register
@dataclass(frozen=True, kw_only=True)
class RefundRecorded(Event):
    """Money went back to the buyer (every refund, partial or full, and a paid order's cancellation).

    `refunded_fen` is the order's refunded total after this refund."""

    name = "trade.refund_recorded"
    aggregate = "order"
    order_id: int
    buyer_id: int
    amount_fen: int
    refunded_fen: int
    currency: str
    refund_reference: str


@register
@dataclass(frozen=True, kw_only=True)
class OrderRefunded(Event):
    """The order became `refunded`: everything paid for it has been given back."""

    name = "trade.order_refunded"
    aggregate = "order"
    order_id: int
    buyer_id: int
    refunded_fen: int


@register
@dataclass(frozen=True, kw_only=True)
class TrackingRecorded(Event):
    """A carrier scanned the parcel (`kind`: picked_up, in_transit, out_for_delivery, delivered,
    exception)."""

    name = "trade.tracking_recorded"
    aggregate = "order"
    order_id: int
    kind: str
    location: str


@register
@dataclass(frozen=True, kw_only=True)
class CompensationIssued(Event):
    """A coupon funded by the merchant for a fulfilment failure (`kind`: late_shipment,
    out_of_stock, fake_shipping)."""

    name = "trade.compensation_issued"
    aggregate = "order"
    order_id: int
    buyer_id: int
    shop_id: int
    kind: str
    amount_fen: int
    currency: str


@register
@dataclass(frozen=True, kw_only=True)
class OrderSettled(Event):
    """The order's net amount left escrow: to the merchant, the platform's fees and commission."""

    name = "trade.order_settled"
    aggregate = "order"
    order_id: int
    shop_id: int
    net_fen: int
    merchant_fen: int
    platform_fen: int
    commission_fen: int
    currency: str

"""What happened in the affiliate programme."""

from __future__ import annotations

from dataclasses import dataclass

from xingqu.shared.events import Event, register


@register
@dataclass(frozen=True, kw_only=True)
class PlanPublished(Event):
    name = "affiliate.plan_published"
    aggregate = "affiliate_plan"
    plan_id: int
    shop_id: int
    product_id: int
    kind: str
    rate_bp: int
    creator_id: int | None


@register
@dataclass(frozen=True, kw_only=True)
class PlanEnded(Event):
    name = "affiliate.plan_ended"
    aggregate = "affiliate_plan"
    plan_id: int
    product_id: int


@register
@dataclass(frozen=True, kw_only=True)
class ProductSelected(Event):
    name = "affiliate.product_selected"
    aggregate = "creator"
    creator_id: int
    product_id: int


@register
@dataclass(frozen=True, kw_only=True)
class ProductDeselected(Event):
    name = "affiliate.product_deselected"
    aggregate = "creator"
    creator_id: int
    product_id: int


@register
@dataclass(frozen=True, kw_only=True)
class OrderAttributed(Event):
    """An order line earns commission for the creator whose content led to it."""

    name = "affiliate.order_attributed"
    aggregate = "order"
    order_id: int
    order_line_id: int
    creator_id: int
    content_id: int
    product_id: int
    rate_bp: int


@register
@dataclass(frozen=True, kw_only=True)
class CommissionSettled(Event):
    """A creator was credited commission for an order line (`net_fen` after the platform's fee)."""

    name = "affiliate.commission_settled"
    aggregate = "commission"
    commission_id: int
    order_id: int
    creator_id: int
    product_id: int
    gross_fen: int
    fee_fen: int
    net_fen: int


@register
@dataclass(frozen=True, kw_only=True)
class CommissionClawedBack(Event):
    """A refund took back `amount_fen` of a settled commission; `net_fen` is what is left."""

    name = "affiliate.commission_clawed_back"
    aggregate = "commission"
    commission_id: int
    order_id: int
    creator_id: int
    amount_fen: int
    net_fen: int


@register
@dataclass(frozen=True, kw_only=True)
class CommissionCancelled(Event):
    """The order was cancelled or refunded in full before settlement: the line earns nothing."""

    name = "affiliate.commission_cancelled"
    aggregate = "commission"
    commission_id: int
    order_id: int
    creator_id: int


@register
@dataclass(frozen=True, kw_only=True)
class CreatorRated(Event):
    name = "affiliate.creator_rated"
    aggregate = "creator"
    creator_id: int
    rating: str

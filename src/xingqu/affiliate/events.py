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

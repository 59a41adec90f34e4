"""What happened in the catalog."""

from __future__ import annotations

from dataclasses import dataclass

from xingqu.shared.events import Event, register


@register
@dataclass(frozen=True, kw_only=True)
class MerchantRegistered(Event):
    name = "catalog.merchant_registered"
    aggregate = "merchant"
    merchant_id: int
    shop_id: int
    owner_user_id: int


@register
@dataclass(frozen=True, kw_only=True)
class ProductListed(Event):
    name = "catalog.product_listed"
    aggregate = "product"
    product_id: int
    shop_id: int
    category_id: int
    status: str


@register
@dataclass(frozen=True, kw_only=True)
class ProductUpdated(Event):
    name = "catalog.product_updated"
    aggregate = "product"
    product_id: int
    fields: list[str]


@register
@dataclass(frozen=True, kw_only=True)
class ProductStatusChanged(Event):
    name = "catalog.product_status_changed"
    aggregate = "product"
    product_id: int
    old_status: str
    new_status: str
    reason: str


@register
@dataclass(frozen=True, kw_only=True)
class StockAdjusted(Event):
    name = "catalog.stock_adjusted"
    aggregate = "sku"
    sku_id: int
    delta: int
    stock: int


@register
@dataclass(frozen=True, kw_only=True)
class ShopStatusChanged(Event):
    """Governance suspended, closed or reinstated a shop."""

    name = "catalog.shop_status_changed"
    aggregate = "shop"
    shop_id: int
    old_status: str
    new_status: str
    reason: str

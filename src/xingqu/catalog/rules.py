"""Pure catalog rules: product lifecycle and listing validation. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from xingqu.catalog.errors import CatalogError
from xingqu.shared.errors import conflict, invalid

MAX_TITLE = 120
MAX_SKUS = 50
MAX_PRICE_FEN = 100_000_000  # ¥1,000,000 per unit
MAX_STOCK = 10_000_000


class ProductStatus(StrEnum):
    UNDER_REVIEW = "under_review"
    LIVE = "live"
    REJECTED = "rejected"
    DELISTED = "delisted"


class ShopStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


PRODUCT_TRANSITIONS: dict[ProductStatus, frozenset[ProductStatus]] = {
    ProductStatus.UNDER_REVIEW: frozenset({ProductStatus.LIVE, ProductStatus.REJECTED}),
    ProductStatus.LIVE: frozenset({ProductStatus.DELISTED, ProductStatus.UNDER_REVIEW}),
    ProductStatus.REJECTED: frozenset({ProductStatus.UNDER_REVIEW}),
    ProductStatus.DELISTED: frozenset({ProductStatus.LIVE, ProductStatus.UNDER_REVIEW}),
}


def check_product_transition(current: ProductStatus, target: ProductStatus) -> None:
    if target not in PRODUCT_TRANSITIONS[current]:
        raise conflict(
            CatalogError.INVALID_TRANSITION,
            f"a product cannot go from {current} to {target}",
            current=str(current),
            target=str(target),
        )


@dataclass(frozen=True, slots=True)
class SkuSpec:
    name: str
    price_fen: int
    stock: int


def validate_listing(title_en: str, title_zh: str, skus: list[SkuSpec]) -> None:
    """Structural checks on a listing (content review is governance's job)."""
    if not title_en.strip() and not title_zh.strip():
        raise invalid(CatalogError.INVALID_PRODUCT, "a product needs an English or a Chinese title")
    for title in (title_en, title_zh):
        if len(title) > MAX_TITLE:
            raise invalid(
                CatalogError.INVALID_PRODUCT, f"titles are at most {MAX_TITLE} characters"
            )
    if not 1 <= len(skus) <= MAX_SKUS:
        raise invalid(
            CatalogError.INVALID_PRODUCT, f"a product needs between 1 and {MAX_SKUS} SKUs"
        )
    names = [s.name.strip() for s in skus]
    if any(not n for n in names) or len(set(names)) != len(names):
        raise invalid(CatalogError.INVALID_PRODUCT, "SKU names must be present and distinct")
    for sku in skus:
        validate_price(sku.price_fen)
        validate_stock(sku.stock)


def validate_price(price_fen: int) -> None:
    if type(price_fen) is not int or not 1 <= price_fen <= MAX_PRICE_FEN:
        raise invalid(
            CatalogError.INVALID_PRODUCT, f"price must be 1..{MAX_PRICE_FEN} fen, got {price_fen!r}"
        )


def validate_stock(stock: int) -> None:
    if type(stock) is not int or not 0 <= stock <= MAX_STOCK:
        raise invalid(CatalogError.INVALID_STOCK, f"stock must be 0..{MAX_STOCK}, got {stock!r}")


def is_sellable(product_status: ProductStatus, shop_status: ShopStatus) -> bool:
    return product_status == ProductStatus.LIVE and shop_status == ShopStatus.ACTIVE

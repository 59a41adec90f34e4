"""Catalog read side."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from xingqu.catalog.errors import CatalogError
from xingqu.catalog.models import Category, Merchant, Product, ProductTag, ProgrammeTag, Shop, Sku
from xingqu.catalog.rules import ProductStatus, ShopStatus, is_sellable
from xingqu.shared.errors import not_found
from xingqu.shared.paging import Page, PageRequest
from xingqu.store.paging import count_rows, fetch_page
from xingqu.store.prepared import any_of, columns, table
from xingqu.store.uow import UnitOfWork


def get_product(uow: UnitOfWork, product_id: int) -> Product:
    with uow:
        product = uow.session.get(Product, product_id)
        if product is None:
            raise not_found(CatalogError.PRODUCT_NOT_FOUND, "product", product_id)
        return product


def list_products(
    uow: UnitOfWork,
    page: PageRequest,
    *,
    shop_id: int | None = None,
    category_id: int | None = None,
    status: ProductStatus | None = ProductStatus.LIVE,
) -> Page[Product]:
    where = []
    if shop_id is not None:
        where.append(Product.shop_id == shop_id)
    if category_id is not None:
        where.append(Product.category_id == category_id)
    if status is not None:
        where.append(Product.status == status)
    with uow:
        s = uow.session
        return fetch_page(s, Product, where, [Product.id], page)


def category_tree(uow: UnitOfWork) -> list[Category]:
    with uow:
        return list(uow.session.scalars(select(Category).order_by(Category.level, Category.id)))


def programme_tags(uow: UnitOfWork) -> list[ProgrammeTag]:
    with uow:
        return list(uow.session.scalars(select(ProgrammeTag).order_by(ProgrammeTag.code)))


def get_shop(uow: UnitOfWork, shop_id: int) -> Shop:
    with uow:
        shop = uow.session.get(Shop, shop_id)
        if shop is None:
            raise not_found(CatalogError.SHOP_NOT_FOUND, "shop", shop_id)
        return shop


def shops_of_user(uow: UnitOfWork, user_id: int) -> list[Shop]:
    with uow:
        return list(
            uow.session.scalars(
                select(Shop)
                .join(Merchant, Shop.merchant_id == Merchant.id)
                .where(Merchant.owner_user_id == user_id)
            )
        )


# --- read-only calls other contexts make inside their own transaction (content, discovery) -----


@dataclass(frozen=True, slots=True)
class ProductCard:
    """A product as a feed card shows it: on sale, priced by its cheapest SKU in stock."""

    product_id: int
    shop_id: int
    category_id: int
    title_en: str
    title_zh: str
    cover_url: str
    sku_id: int  # the cheapest SKU that is in stock
    min_price_fen: int
    currency: str


def sellable_product_cards(uow: UnitOfWork, product_ids: Collection[int]) -> dict[int, ProductCard]:
    """Cards for those of `product_ids` that can be bought now: live, shop active, some stock.

    Products that are delisted, under review, in a suspended or closed shop, or sold out on every
    SKU are simply absent from the result.
    """
    uow.require_active()
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    rows = uow.session.execute(_SELLABLE, {"ids": ids})
    cards: dict[int, ProductCard] = {}
    for pid, shop_id, cat, t_en, t_zh, cover, p_status, s_status, sku_id, price, currency in rows:
        if pid in cards or not is_sellable(ProductStatus(p_status), ShopStatus(s_status)):
            continue
        cards[pid] = ProductCard(pid, shop_id, cat, t_en, t_zh, cover, sku_id, price, currency)
    return cards


# the feed reads this on every request: built once (`store.prepared`)
_product, _shop, _sku = columns(Product), columns(Shop), columns(Sku)
_SELLABLE = (
    select(
        _product.id,
        _product.shop_id,
        _product.category_id,
        _product.title_en,
        _product.title_zh,
        _product.cover_url,
        _product.status,
        _shop.status,
        _sku.id,
        _sku.price_fen,
        _sku.currency,
    )
    .join_from(table(Product), table(Shop), _product.shop_id == _shop.id)
    .join(table(Sku), _sku.product_id == _product.id)
    .where(any_of(_product.id), _sku.stock > 0)
    .order_by(_product.id, _sku.price_fen, _sku.id)
)


def product_categories(uow: UnitOfWork, product_ids: Collection[int]) -> dict[int, int]:
    """product id → its category id, for those of `product_ids` that exist (on sale or not)."""
    uow.require_active()
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    rows = uow.session.execute(select(Product.id, Product.category_id).where(Product.id.in_(ids)))
    return {pid: cat for pid, cat in rows}


def count_live_products(uow: UnitOfWork) -> int:
    """Products on sale (runs inside the caller's transaction)."""
    uow.require_active()
    return count_rows(uow.session, Product, Product.status == ProductStatus.LIVE)


def live_prices_in_category(uow: UnitOfWork, category_id: int, limit: int = 5_000) -> list[int]:
    """The cheapest SKU price (fen) of each live product in the category, newest products first
    (governance compares a new listing's prices with them; runs in the caller's transaction)."""
    uow.require_active()
    rows = uow.session.execute(
        select(func.min(Sku.price_fen))
        .join(Product, Sku.product_id == Product.id)
        .where(Product.category_id == category_id, Product.status == ProductStatus.LIVE)
        .group_by(Product.id)
        .order_by(Product.id.desc())
        .limit(limit)
    )
    return [int(price) for (price,) in rows]


def shop_status(uow: UnitOfWork, shop_id: int) -> ShopStatus:
    """The shop's status (inside the caller's transaction)."""
    uow.require_active()
    status = uow.session.scalar(select(Shop.status).where(Shop.id == shop_id))
    if status is None:
        raise not_found(CatalogError.SHOP_NOT_FOUND, "shop", shop_id)
    return ShopStatus(status)


def product_shops(uow: UnitOfWork, product_ids: Collection[int]) -> dict[int, int]:
    """product id → the id of the shop that lists it (inside the caller's transaction)."""
    uow.require_active()
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    rows = uow.session.execute(select(Product.id, Product.shop_id).where(Product.id.in_(ids)))
    return {pid: shop for pid, shop in rows}


def programme_products(uow: UnitOfWork, product_ids: Collection[int]) -> set[int]:
    """Those of `product_ids` in a support programme (such as 助农): tagged themselves, or sold
    by a tagged shop (inside the caller's transaction)."""
    uow.require_active()
    ids = sorted(set(product_ids))
    out: set[int] = set()
    for start in range(0, len(ids), 500):
        rows = uow.session.execute(
            select(Product.id)
            .join(Shop, Shop.id == Product.shop_id)
            .outerjoin(ProductTag, ProductTag.product_id == Product.id)
            .where(
                Product.id.in_(ids[start : start + 500]),
                or_(Shop.programme_tag.is_not(None), ProductTag.tag_code.is_not(None)),
            )
        )
        out.update(pid for (pid,) in rows)
    return out

"""Catalog read side."""

from __future__ import annotations

from sqlalchemy import func, select

from xingqu.catalog.errors import CatalogError
from xingqu.catalog.models import Category, Merchant, Product, ProgrammeTag, Shop
from xingqu.catalog.rules import ProductStatus
from xingqu.shared.errors import not_found
from xingqu.shared.paging import Page, PageRequest
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
        total = s.scalar(select(func.count()).select_from(Product).where(*where)) or 0
        items = list(
            s.scalars(
                select(Product)
                .where(*where)
                .order_by(Product.id)
                .limit(page.limit)
                .offset(page.offset)
            )
        )
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)


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

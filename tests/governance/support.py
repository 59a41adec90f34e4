"""Helpers for governance tests: listings made through the catalog's services."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tests import factories
from xingqu.bootstrap import Platform
from xingqu.catalog import services as catalog
from xingqu.catalog.models import Category, Product
from xingqu.catalog.rules import SkuSpec
from xingqu.governance import cases
from xingqu.shared.access import SYSTEM, Actor


def category(p: Platform, code: str) -> int:
    """The leaf `code` (a.b.c) and its parents, made once per platform."""
    with p.uow(readonly=True) as uow:
        existing = uow.session.scalar(select(Category.id).where(Category.code == code))
    if existing is not None:
        return existing
    parts = code.split(".")
    leaf_id = 0
    for n in range(1, len(parts) + 1):
        prefix = ".".join(parts[:n])
        with p.uow(readonly=True) as uow:
            found = uow.session.scalar(select(Category.id).where(Category.code == prefix))
        if found is None:
            parent = ".".join(parts[: n - 1]) or None
            found = catalog.create_category(
                p.uow(), SYSTEM, catalog.CreateCategory(prefix, prefix, prefix, parent)
            ).id
        leaf_id = found
    return leaf_id


def listing(
    p: Platform,
    owner: Actor,
    shop_id: int,
    title_zh: str,
    *,
    code: str = "beauty.skincare.serum",
    price_fen: int = 9_900,
    description: str = "",
    title_en: str = "",
    stock: int = 10,
    **kw: Any,
) -> Product:
    return catalog.create_product(
        p.uow(),
        owner,
        catalog.CreateProduct(
            shop_id=shop_id,
            category_id=category(p, code),
            title_en=title_en,
            title_zh=title_zh,
            skus=[SkuSpec("30ml", price_fen, stock)],
            description=description,
            **kw,
        ),
    )


def status(p: Platform, product_id: int) -> str:
    with p.uow(readonly=True) as uow:
        product = uow.session.get(Product, product_id)
        assert product is not None
        return product.status


def confirmed_fake_orders(p: Platform, shop_id: int) -> None:
    """A brushing case against the shop, confirmed by an operator (a fake-order finding: a shop
    in its growth stage scores 60 at the next score run)."""
    case = cases.open_case(
        p.uow(),
        SYSTEM,
        cases.OpenCase(
            shop_id=shop_id,
            kind="detector",
            reason_code="brushing.order_velocity",
            severity="low",
            summary="nine orders from three buyers within the hour",
            dedupe_key=f"confirmed-fake-orders:{shop_id}",
        ),
    )
    cases.decide_case(p.uow(), factories.operator(p), case.id, confirm=True, note="fake orders")


__all__ = ["category", "confirmed_fake_orders", "factories", "listing", "status"]

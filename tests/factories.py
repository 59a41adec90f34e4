"""Test data made through the real services (never by writing tables)."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import select, text

from xingqu.bootstrap import Platform
from xingqu.catalog import services as catalog
from xingqu.catalog.models import Category, Product
from xingqu.catalog.rules import SkuSpec
from xingqu.identity import services as identity
from xingqu.identity.models import User
from xingqu.shared.access import SYSTEM, Actor
from xingqu.store.base import load_all_models

_seq = itertools.count(1)


def user(p: Platform, *roles: str, password: str | None = None) -> Actor:
    n = next(_seq)
    created: User = identity.register_user(
        p.uow(),
        identity.RegisterUser(
            username=f"user{n}", display_name=f"User {n}", roles=frozenset(roles), password=password
        ),
        by=SYSTEM,
    )
    return created.actor()


def consumer(p: Platform) -> Actor:
    return user(p, "consumer")


def operator(p: Platform) -> Actor:
    return user(p, "operator")


def leaf_category(p: Platform) -> int:
    """A three-level category path; returns the leaf's id (idempotent per platform)."""
    with p.uow(readonly=True) as uow:
        existing = uow.session.scalar(
            select(Category.id).where(Category.code == "beauty.skincare.serum")
        )
    if existing is not None:
        return existing
    for code, en, zh, parent in (
        ("beauty", "Beauty", "美妆", None),
        ("beauty.skincare", "Skincare", "护肤", "beauty"),
        ("beauty.skincare.serum", "Serum", "精华", "beauty.skincare"),
    ):
        leaf = catalog.create_category(
            p.uow(), SYSTEM, catalog.CreateCategory(code, en, zh, parent)
        )
    return leaf.id


def merchant(p: Platform) -> tuple[Actor, int]:
    """A merchant user with a shop; returns (actor, shop_id)."""
    actor = user(p, "merchant")
    shop = catalog.register_merchant(
        p.uow(),
        actor,
        catalog.RegisterMerchant(name=f"M{actor.user_id}", shop_name=f"Shop {actor.user_id}"),
    )
    return actor, shop.id


def product(
    p: Platform, owner: Actor, shop_id: int, *, price_fen: int = 9_900, stock: int = 10, **kw: Any
) -> Product:
    return catalog.create_product(
        p.uow(),
        owner,
        catalog.CreateProduct(
            shop_id=shop_id,
            category_id=kw.pop("category_id", None) or leaf_category(p),
            title_en=kw.pop("title_en", "Hydrating serum"),
            title_zh=kw.pop("title_zh", "补水精华"),
            skus=kw.pop("skus", None) or [SkuSpec("30ml", price_fen, stock)],
            **kw,
        ),
    )


def snapshot(p: Platform) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: negative tests assert this is unchanged."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with p.engine.connect() as conn:
        for table in load_all_models().sorted_tables:
            rows = conn.execute(text(f'SELECT * FROM "{table.name}"')).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out

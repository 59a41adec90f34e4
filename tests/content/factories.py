"""Creators and content made through the real services (for content and discovery tests)."""

from __future__ import annotations

import itertools

from sqlalchemy import select

from tests import factories
from xingqu.bootstrap import Platform
from xingqu.catalog import services as catalog
from xingqu.catalog.models import Category
from xingqu.content import services as content
from xingqu.content.models import ContentItem
from xingqu.shared.access import SYSTEM, Actor

_seq = itertools.count(1)


def creator(p: Platform, name: str | None = None) -> tuple[Actor, int]:
    """A user with the creator role and a creator profile; returns (actor, creator_id)."""
    actor = factories.user(p, "creator", "consumer")
    made = content.register_creator(
        p.uow(), actor, content.RegisterCreator(name=name or f"Creator {actor.user_id}")
    )
    return actor, made.id


def leaf(p: Platform, code: str) -> int:
    """Another leaf category beside the factories' serum leaf (idempotent per code)."""
    factories.leaf_category(p)
    full = f"beauty.skincare.{code}"
    with p.uow(readonly=True) as uow:
        existing = uow.session.scalar(select(Category.id).where(Category.code == full))
    if existing is not None:
        return existing
    made = catalog.create_category(
        p.uow(), SYSTEM, catalog.CreateCategory(full, code.title(), code, "beauty.skincare")
    )
    return made.id


def item(
    p: Platform,
    owner: Actor,
    *,
    category_id: int | None = None,
    product_ids: list[int] | None = None,
    kind: str = "video",
    duration_s: int = 60,
) -> ContentItem:
    n = next(_seq)
    return content.publish_content(
        p.uow(),
        owner,
        content.PublishContent(
            kind=kind,
            title_en=f"Video {n}",
            title_zh=f"视频 {n}",
            category_id=category_id or factories.leaf_category(p),
            duration_s=0 if kind == "post" else duration_s,
            product_ids=product_ids or [],
        ),
    )

"""A large synthetic platform for the serving benchmark, written straight into the tables.

100,000 content items and 100,000 people cannot be made through the services on a 2-core
machine in reasonable time (scrypt password hashing and one transaction per action), so this
module bulk-inserts rows that obey the same schema and constraints: categories, people with
roles, merchants with one shop each, live products with one SKU in stock, creators, published
content (most mounting a product of the same leaf category), follows, and a month of behaviour
drawn from each person's latent taste (2–4 favourite leaves). Only `bench/serving.py` uses it;
nothing here is a shortcut the platform takes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import insert

from xingqu.bootstrap import Platform
from xingqu.catalog.models import Category, Merchant, Product, Shop, Sku
from xingqu.content.models import ContentItem, ContentProduct, Creator, Follow
from xingqu.discovery.models import BehaviourEvent
from xingqu.discovery.rules import Action
from xingqu.identity.models import User

CHUNK = 20_000
KINDS = ("video", "video", "video", "live", "post")


@dataclass(frozen=True)
class WorldShape:
    users: int = 100_000
    content: int = 100_000
    products: int = 30_000
    merchants: int = 2_000
    creators: int = 5_000
    events_per_user: int = 30  # mean behaviour rows per person over the month
    follows_per_user: int = 4


@dataclass
class World:
    consumer_ids: np.ndarray
    leaves: np.ndarray  # leaf category ids
    tastes: dict[int, tuple[np.ndarray, np.ndarray]]  # user id → (leaf ids, weights)
    content_ids: np.ndarray
    content_leaf: np.ndarray
    content_duration: np.ndarray


def build(
    p: Platform,
    shape: WorldShape,
    *,
    end: datetime,
    seed: int = 7,
    advance: Callable[[str, int], None] = lambda what, n: None,
) -> World:
    rng = np.random.default_rng(seed)
    start = end - timedelta(days=30)
    leaves = _categories(p, end)
    advance("categories", len(leaves))
    # people: consumers, then merchants' owners, then creators' accounts
    n_people = shape.users + shape.merchants + shape.creators
    _bulk(
        p,
        User,
        (
            {
                "username": f"u{i}",
                "display_name": f"User {i}",
                "password_hash": None,
                "roles": "consumer"
                if i <= shape.users
                else ("merchant" if i <= shape.users + shape.merchants else "consumer,creator"),
                "created_at": start - timedelta(days=10),
            }
            for i in range(1, n_people + 1)
        ),
    )
    advance("people", n_people)
    consumer_ids = np.arange(1, shape.users + 1, dtype=np.int64)
    owner0 = shape.users + 1
    _bulk(
        p,
        Merchant,
        (
            {"owner_user_id": owner0 + m, "name": f"Merchant {m}", "created_at": start}
            for m in range(shape.merchants)
        ),
    )
    _bulk(
        p,
        Shop,
        (
            {"merchant_id": m + 1, "name": f"Shop {m}", "status": "active", "created_at": start}
            for m in range(shape.merchants)
        ),
    )
    product_leaf = rng.choice(leaves, size=shape.products)
    product_shop = rng.integers(1, shape.merchants + 1, size=shape.products)
    prices = np.maximum(100, rng.lognormal(math.log(8_000), 0.8, size=shape.products)).astype(int)
    _bulk(
        p,
        Product,
        (
            {
                "shop_id": int(product_shop[i]),
                "category_id": int(product_leaf[i]),
                "title_en": f"Product {i}",
                "title_zh": f"商品{i}",
                "status": "live",
                "created_at": start,
                "updated_at": start,
            }
            for i in range(shape.products)
        ),
    )
    _bulk(
        p,
        Sku,
        (
            {
                "product_id": i + 1,
                "name": "standard",
                "price_fen": int(prices[i]),
                "currency": "CNY",
                "stock": 10_000,
            }
            for i in range(shape.products)
        ),
    )
    advance("shops and products", shape.products)
    creator_user0 = shape.users + shape.merchants + 1
    _bulk(
        p,
        Creator,
        (
            {"user_id": creator_user0 + c, "name": f"Creator {c}", "bio": "", "created_at": start}
            for c in range(shape.creators)
        ),
    )
    content_leaf = rng.choice(leaves, size=shape.content)
    content_creator = rng.integers(1, shape.creators + 1, size=shape.content)
    kinds = rng.choice(len(KINDS), size=shape.content)
    durations = np.where(
        np.array(KINDS)[kinds] == "post", 0, rng.integers(10, 120, size=shape.content)
    )
    published = [
        start - timedelta(days=30) + timedelta(seconds=int(s))
        for s in rng.integers(0, 60 * 86_400, size=shape.content)
    ]
    _bulk(
        p,
        ContentItem,
        (
            {
                "creator_id": int(content_creator[i]),
                "kind": KINDS[int(kinds[i])],
                "title_en": f"Content {i}",
                "title_zh": f"内容{i}",
                "caption": "",
                "cover_url": "",
                "duration_s": int(durations[i]),
                "category_id": int(content_leaf[i]),
                "status": "published",
                "published_at": min(published[i], end - timedelta(minutes=1)),
            }
            for i in range(shape.content)
        ),
    )
    advance("content", shape.content)
    products_of_leaf = {int(leaf): np.flatnonzero(product_leaf == leaf) + 1 for leaf in leaves}
    mounts = []
    for i in range(shape.content):
        pool = products_of_leaf[int(content_leaf[i])]
        if len(pool) and rng.random() < 0.6:
            mounts.append({"content_id": i + 1, "product_id": int(rng.choice(pool)), "position": 0})
    _bulk(p, ContentProduct, iter(mounts))
    content_ids = np.arange(1, shape.content + 1, dtype=np.int64)
    tastes = _tastes(rng, consumer_ids, leaves)
    _bulk(
        p, Follow, _follows(rng, shape, consumer_ids, tastes, content_leaf, content_creator, start)
    )
    advance("follows", shape.users)
    world = World(consumer_ids, leaves, tastes, content_ids, content_leaf, durations)
    total = _bulk(p, BehaviourEvent, _behaviour(rng, shape, world, content_creator, start, end))
    advance("behaviour rows", total)
    return world


def _categories(p: Platform, at: datetime) -> np.ndarray:
    rows = []
    leaves = []
    next_id = 1
    for top in range(8):
        top_id = next_id
        rows.append(
            {
                "id": top_id,
                "parent_id": None,
                "code": f"t{top}",
                "name_en": f"Top {top}",
                "name_zh": f"顶{top}",
                "level": 1,
            }
        )
        next_id += 1
        for mid in range(3):
            mid_id = next_id
            rows.append(
                {
                    "id": mid_id,
                    "parent_id": top_id,
                    "code": f"t{top}.m{mid}",
                    "name_en": f"Mid {top}.{mid}",
                    "name_zh": f"中{top}.{mid}",
                    "level": 2,
                }
            )
            next_id += 1
            for leaf in range(3):
                rows.append(
                    {
                        "id": next_id,
                        "parent_id": mid_id,
                        "code": f"t{top}.m{mid}.l{leaf}",
                        "name_en": f"Leaf {top}.{mid}.{leaf}",
                        "name_zh": f"叶{top}.{mid}.{leaf}",
                        "level": 3,
                    }
                )
                leaves.append(next_id)
                next_id += 1
    _bulk(p, Category, iter(rows))
    return np.array(leaves, dtype=np.int64)


def _tastes(
    rng: np.random.Generator, users: np.ndarray, leaves: np.ndarray
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for user in users:
        n = int(rng.integers(2, 5))
        chosen = rng.choice(leaves, size=n, replace=False)
        weights = rng.dirichlet(np.ones(n))
        out[int(user)] = (chosen, weights)
    return out


def _follows(
    rng: np.random.Generator,
    shape: WorldShape,
    users: np.ndarray,
    tastes: dict[int, tuple[np.ndarray, np.ndarray]],
    content_leaf: np.ndarray,
    content_creator: np.ndarray,
    at: datetime,
) -> Iterator[dict[str, Any]]:
    creators_of_leaf = {
        int(leaf): np.unique(content_creator[content_leaf == leaf])
        for leaf in np.unique(content_leaf)
    }
    for user in users:
        leaves, _ = tastes[int(user)]
        pool = np.unique(np.concatenate([creators_of_leaf.get(int(x), []) for x in leaves]))
        n = min(len(pool), int(rng.poisson(shape.follows_per_user)))
        for creator in rng.choice(pool, size=n, replace=False) if n else []:
            yield {"user_id": int(user), "creator_id": int(creator), "created_at": at}


def _behaviour(
    rng: np.random.Generator,
    shape: WorldShape,
    world: World,
    content_creator: np.ndarray,
    start: datetime,
    end: datetime,
) -> Iterator[dict[str, Any]]:
    by_leaf = {int(leaf): np.flatnonzero(world.content_leaf == leaf) for leaf in world.leaves}
    span = int((end - start).total_seconds())
    for user in world.consumer_ids:
        leaves, weights = world.tastes[int(user)]
        n = int(rng.poisson(shape.events_per_user / 2))  # an impression and a watch per visit
        for _ in range(n):
            leaf = (
                int(rng.choice(leaves, p=weights))
                if rng.random() < 0.8
                else int(rng.choice(world.leaves))
            )
            pool = by_leaf[leaf]
            # popular items first: a Zipf-like rank within the leaf
            index = pool[min(len(pool) - 1, int(rng.zipf(1.3)) - 1)]
            content_id = int(world.content_ids[index])
            at = start + timedelta(seconds=int(rng.integers(0, span)))
            base = {
                "user_id": int(user),
                "content_id": content_id,
                "product_id": None,
                "creator_id": int(content_creator[index]),
                "category_id": leaf,
                "request_id": None,
                "source_event_id": None,
                "source_seq": 0,
            }
            liked = leaf in leaves
            duration = max(int(world.content_duration[index]), 5)
            watched = duration * (rng.uniform(0.5, 1.0) if liked else rng.uniform(0.0, 0.3))
            yield {**base, "action": Action.IMPRESSION.value, "value": 0.0, "occurred_at": at}
            yield {
                **base,
                "action": Action.WATCH.value,
                "value": float(round(watched, 1)),
                "occurred_at": at + timedelta(seconds=int(watched) + 1),
            }
            if liked and rng.random() < 0.2:
                yield {
                    **base,
                    "action": Action.LIKE.value,
                    "value": 0.0,
                    "occurred_at": at + timedelta(seconds=int(watched) + 2),
                }


def _bulk(
    p: Platform, model: type, rows: Iterator[dict[str, Any]] | Sequence[dict[str, Any]]
) -> int:
    total = 0
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            total += _write(p, model, batch)
            batch = []
    if batch:
        total += _write(p, model, batch)
    return total


def _write(p: Platform, model: type, batch: list[dict[str, Any]]) -> int:
    with p.uow() as uow:
        uow.session.execute(insert(model), batch)
        uow.commit()
    return len(batch)

"""Feed latency on SQLite: ~6,000 content items, ~1M behaviour rows, all seeded through services.

usage: python bench_feed.py DIR [--users 5000] [--rows-per-user 200] [--requests 300]
Seeds DIR/xingqu.db once (re-used when present), then times `feed(limit=20)`.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from xingqu.bootstrap import build_platform
from xingqu.catalog import services as catalog
from xingqu.catalog.rules import SkuSpec
from xingqu.config import Settings
from xingqu.content import services as content
from xingqu.discovery import services as discovery
from xingqu.discovery.feed import feed
from xingqu.discovery.models import BehaviourEvent
from xingqu.discovery.popularity import popularity_cache
from xingqu.identity import services as identity
from xingqu.identity.models import User
from xingqu.shared.access import SYSTEM, Actor
from xingqu.shared.clock import ManualClock

END = datetime(2026, 3, 1, tzinfo=UTC)
START = END - timedelta(days=30)


def seed(p, clock: ManualClock, rng: random.Random, users: int, rows_per_user: int) -> None:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    clock.set(START - timedelta(days=1))
    leaves: list[int] = []
    for top in range(6):
        catalog.create_category(
            p.uow(), SYSTEM, catalog.CreateCategory(f"t{top}", f"Top {top}", f"顶{top}")
        )
        for sub in range(10):
            leaf = catalog.create_category(
                p.uow(),
                SYSTEM,
                catalog.CreateCategory(
                    f"t{top}.l{sub}", f"Leaf {top}.{sub}", f"叶{top}.{sub}", f"t{top}"
                ),
            )
            leaves.append(leaf.id)

    def user(name: str, *roles: str) -> Actor:
        return identity.register_user(
            p.uow(), identity.RegisterUser(name, name, frozenset(roles)), by=SYSTEM
        ).actor()

    products_by_leaf: dict[int, list[int]] = {leaf: [] for leaf in leaves}
    for m in range(50):
        owner = user(f"merchant{m}", "merchant")
        shop = catalog.register_merchant(
            p.uow(), owner, catalog.RegisterMerchant(f"M{m}", f"Shop {m}")
        ).id
        for _ in range(40):
            leaf = rng.choice(leaves)
            skus = [
                SkuSpec(f"s{k}", rng.randint(500, 50_000), rng.randint(1, 100))
                for k in range(rng.randint(1, 3))
            ]
            product = catalog.create_product(
                p.uow(),
                owner,
                catalog.CreateProduct(shop, leaf, f"Product {leaf}", f"商品{leaf}", skus),
            )
            products_by_leaf[leaf].append(product.id)
            roll = rng.random()
            if roll < 0.05:
                catalog.delist_product(p.uow(), owner, product.id)
            elif roll < 0.10:
                for sku in product.skus:
                    catalog.adjust_stock(p.uow(), owner, sku.id, -sku.stock)
    print(f"catalog: {time.perf_counter() - t0:.0f}s", flush=True)

    content_ids: list[tuple[int, int, int]] = []  # (id, leaf, duration)
    for c in range(300):
        actor = user(f"creator{c}", "creator")
        content.register_creator(p.uow(), actor, content.RegisterCreator(f"Creator {c}"))
        homes = rng.sample(leaves, 3)
        for _ in range(20):
            clock.set(START + timedelta(seconds=rng.uniform(0, 29 * 86_400)))
            leaf = rng.choice(homes)
            pool = products_by_leaf[leaf] or [
                pid for ids in products_by_leaf.values() for pid in ids
            ]
            kind = rng.choice(["video", "video", "video", "live", "post"])
            duration = {"video": rng.randint(8, 300), "live": 3600, "post": 0}[kind]
            try:
                item = content.publish_content(
                    p.uow(),
                    actor,
                    content.PublishContent(
                        kind,
                        f"Item {leaf}",
                        f"内容{leaf}",
                        leaf,
                        duration_s=duration,
                        product_ids=rng.sample(pool, min(len(pool), rng.randint(1, 3))),
                    ),
                )
            except Exception:  # a delisted product drawn: publish without products
                item = content.publish_content(
                    p.uow(),
                    actor,
                    content.PublishContent(
                        kind, f"Item {leaf}", f"内容{leaf}", leaf, duration_s=duration
                    ),
                )
            content_ids.append((item.id, leaf, duration))
    print(f"content: {len(content_ids)} items, {time.perf_counter() - t0:.0f}s", flush=True)

    by_leaf: dict[int, list[tuple[int, int]]] = {}
    for cid, leaf, duration in content_ids:
        by_leaf.setdefault(leaf, []).append((cid, duration))
    populated = [leaf for leaf in leaves if by_leaf.get(leaf)]
    R = discovery.RecordBehaviour
    for u in range(users):
        actor = user(f"viewer{u}", "consumer")
        likes = rng.sample(populated, 3)
        for _session in range(4):
            clock.set(START + timedelta(seconds=rng.uniform(0, 30 * 86_400 - 60)))
            cmds = []
            while len(cmds) < rows_per_user // 4:
                leaf = rng.choice(likes) if rng.random() < 0.6 else rng.choice(populated)
                cid, duration = rng.choice(by_leaf[leaf])
                cmds.append(R("impression", content_id=cid))
                if rng.random() < 0.5:
                    cmds.append(
                        R("watch", content_id=cid, value=round(rng.uniform(0, duration), 1))
                    )
                if rng.random() < 0.1:
                    cmds.append(R("like", content_id=cid))
            discovery.record_behaviours(p.uow(), actor, cmds)
        if u % 500 == 0:
            print(f"viewers: {u}, {time.perf_counter() - t0:.0f}s", flush=True)
    print(f"seeded in {time.perf_counter() - t0:.0f}s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dir", type=Path)
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--rows-per-user", type=int, default=200)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    fresh = not (args.dir / "xingqu.db").exists()
    clock = ManualClock(END)
    p = build_platform(Settings(data_dir=args.dir, environment="test"), clock=clock, handlers={})
    rng = random.Random(7)
    if fresh:
        seed(p, clock, rng, args.users, args.rows_per_user)
    clock.set(END)
    with p.uow(readonly=True) as uow:
        rows = uow.session.scalar(select(func.count()).select_from(BehaviourEvent)) or 0
        viewers = list(uow.session.scalars(select(User.id).where(User.username.like("viewer%"))))
        items = uow.session.scalar(
            select(func.count()).select_from(
                __import__("xingqu.content.models", fromlist=["ContentItem"]).ContentItem
            )
        )
    print(f"behaviour rows: {rows:,}; content items: {items:,}; viewers: {len(viewers):,}")

    cache = popularity_cache(p.engine)
    cache.invalidate()
    t = time.perf_counter()
    feed(p.uow(), Actor(viewers[0]), limit=20)
    cold_ms = (time.perf_counter() - t) * 1000

    def timed(actors: list[Actor]) -> list[float]:
        out = []
        for actor in actors:
            t = time.perf_counter()
            result = feed(p.uow(), actor, limit=20)
            out.append((time.perf_counter() - t) * 1000)
            assert len(result.items) == 20, len(result.items)
        return out

    known = timed([Actor(rng.choice(viewers)) for _ in range(args.requests)])
    newcomers = [
        identity.register_user(
            p.uow(),
            identity.RegisterUser(f"new{i}x{time.time_ns()}", "n", frozenset({"consumer"})),
            by=SYSTEM,
        ).actor()
        for i in range(50)
    ]
    cold_start = timed(newcomers)

    def stats(xs: list[float]) -> dict[str, float]:
        xs = sorted(xs)
        return {
            "n": len(xs),
            "p50_ms": round(statistics.median(xs), 2),
            "p95_ms": round(xs[int(0.95 * (len(xs) - 1))], 2),
            "max_ms": round(xs[-1], 2),
        }

    report = {
        "behaviour_rows": rows,
        "content_items": items,
        "popularity_recompute_first_request_ms": round(cold_ms, 1),
        "warm_users_with_history": stats(known),
        "warm_new_users": stats(cold_start),
        "python": sys.version.split()[0],
    }
    print(f"{'case':<28}{'n':>5}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for name in ("warm_users_with_history", "warm_new_users"):
        s = report[name]
        print(f"{name:<28}{s['n']:>5}{s['p50_ms']:>10}{s['p95_ms']:>10}{s['max_ms']:>10}")
    print(f"first request, popularity recomputed: {cold_ms:.1f} ms")
    (args.dir / "result.json").write_text(json.dumps(report, indent=2))
    p.close()


if __name__ == "__main__":
    main()

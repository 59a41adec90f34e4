"""Listing-review throughput on one core: the rules stage and the full stage (rules + classifier),
and the stored review inside `create_product` on SQLite.

usage: python bench/governance_review.py [--listings 20000] [--stored 1000]

The listings are the simulator's generated catalogue (3,000 products: Chinese and English titles,
descriptions, SKU names and prices, all clean) mixed with the labelled training and development
sets (1,472 listings, 45 % of them violating), so about one listing in seven violates. The
process is pinned to one CPU. Each stage is timed by the wall clock and by the process's CPU time
(on a shared, loaded machine the second says what one core does when it is ours). Prints a table
and writes bench/results/governance_review.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as host
import sys
import tempfile
import time
from pathlib import Path

from xingqu.governance.classifier import packaged_classifier, read_labelled, training_rows
from xingqu.governance.ruleset import packaged_ruleset
from xingqu.governance.screening import ListingDraft, screen
from xingqu.sim.world import WorldSize, generate_world

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def generated_drafts() -> list[ListingDraft]:
    """The simulator's generated catalogue (3,000 products, seed 7): all clean."""
    world = generate_world(
        WorldSize(users=10, merchants=100, products=3000, creators=2, content=5), 7
    )
    return [
        ListingDraft(
            title=p.title.zh,
            title_en=p.title.en,
            description=p.description,
            category_code=p.leaf,
            prices_fen=tuple(s.price_fen for s in p.skus),
            sku_names=tuple(s.name for s in p.skus),
        )
        for p in world.products
    ]


def drafts(n: int) -> list[ListingDraft]:
    generated = generated_drafts()
    labelled = training_rows() + read_labelled(
        (ROOT / "tests/governance/data/listings_dev.tsv").read_text(encoding="utf-8").splitlines()
    )
    listed = [
        ListingDraft(
            title=r.title,
            description=r.description,
            category_code=r.category,
            prices_fen=r.prices_fen,
        )
        for r in labelled
    ]
    pool = generated + listed
    return [pool[i % len(pool)] for i in range(n)]


def rate(items: list[ListingDraft], **kw: object) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) to screen the items."""
    ruleset = packaged_ruleset()
    began, began_cpu = time.perf_counter(), time.process_time()
    for d in items:
        screen(d, ruleset, **kw)  # type: ignore[arg-type]
    return time.perf_counter() - began, time.process_time() - began_cpu


def stored(n: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) to list n - 1 products through `catalog.create_product` (review
    stored, audit, events), after a first one that loads the rule set and the model."""
    sys.path.insert(0, str(ROOT))
    from tests import factories

    from xingqu.bootstrap import build_platform
    from xingqu.catalog import services as catalog
    from xingqu.catalog.rules import SkuSpec
    from xingqu.config import Settings

    with tempfile.TemporaryDirectory() as tmp:
        p = build_platform(Settings(data_dir=Path(tmp), environment="test"))
        owner, shop = factories.merchant(p)
        leaf = factories.leaf_category(p)
        items = drafts(n)
        began, began_cpu = time.perf_counter(), time.process_time()
        for i, d in enumerate(items):
            catalog.create_product(
                p.uow(), owner,
                catalog.CreateProduct(shop, leaf, d.title_en[:120], d.title[:120],
                                      [SkuSpec("a", d.prices_fen[0] if d.prices_fen else 9900, 5)],
                                      description=d.description),
            )  # fmt: skip
            if i == 0:  # the first call loads the rule set and the model
                began, began_cpu = time.perf_counter(), time.process_time()
        seconds, cpu = time.perf_counter() - began, time.process_time() - began_cpu
        p.close()
    return seconds, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--listings", type=int, default=20_000)
    parser.add_argument("--stored", type=int, default=1_000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    items = drafts(args.listings)
    packaged_ruleset(), packaged_classifier()  # load once, outside the timings
    screen(items[0], packaged_ruleset(), model=packaged_classifier())
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows = [
        ("rules stage (screen)", args.listings, *rate(items)),
        (
            "full stage (rules + classifier)",
            args.listings,
            *rate(items, model=packaged_classifier()),
        ),
    ]
    if args.stored:
        rows.append(("stored, in create_product (SQLite)", args.stored - 1, *stored(args.stored)))
    print(f"load average at the start: {load:.1f} ({os.cpu_count()} CPUs)")
    print(
        f"{'stage':36} {'listings':>8} {'seconds':>7} {'listings/s':>10} "
        f"{'CPU s':>6} {'per CPU s':>9}"
    )
    for name, n, seconds, cpu in rows:
        print(f"{name:36} {n:>8} {seconds:>7.2f} {n / seconds:>10.0f} {cpu:>6.2f} {n / cpu:>9.0f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": f"{host.node()} {host.processor() or host.machine()} (1 core pinned)",
        "python": host.python_version(),
        "ruleset_version": packaged_ruleset().version,
        "model_version": packaged_classifier().version,
        "load_average": round(load, 2),
        "rows": [
            {
                "stage": name,
                "listings": n,
                "seconds": round(s, 3),
                "per_second": round(n / s, 1),
                "cpu_seconds": round(c, 3),
                "per_cpu_second": round(n / c, 1),
            }
            for name, n, s, c in rows
        ],
    }
    (RESULTS / "governance_review.json").write_text(json.dumps(out, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()

"""Every page under 300 ms server-side on the demo data: time each console page in process.

usage:
  python bench/pages.py [--data-dir var/demo] [--repeat 20] [--in-place] [--out bench/results]

Builds the platform on a copy of the demo's data directory (the feed logs impressions, forms are
not posted; --in-place uses the directory itself), signs in as each demo account (consumer,
creator, merchant, operator) and requests every page of its console through the ASGI app in
process (FastAPI's TestClient: no network, no browser; the time includes routing, the services'
queries, template rendering and the in-process transport). Each page is requested once cold (the
first request of the process also compiles its template), then `--repeat` times; the table
shows cold, median, p95 and max milliseconds, and whether p95 is under the 300 ms budget.
Writes the same as JSON into --out.
"""

from __future__ import annotations

import argparse
import json
import platform as host
import re
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from xingqu.api.app import create_app
from xingqu.bootstrap import Platform, build_platform
from xingqu.config import Settings
from xingqu.sim.truth import SimTruth
from xingqu.web.sitemap import CONSOLE_PAGES

BUDGET_MS = 300.0


def _one(p: Platform, sql: str, **params: object) -> object | None:
    with p.engine.connect() as conn:
        row = conn.execute(text(sql), params).first()
    return row[0] if row else None


def detail_pages(p: Platform, truth: SimTruth) -> dict[str, list[str]]:
    """Pages about one thing, picked from the demo accounts' own data."""
    consumer, merchant, creator = (
        truth.demo_accounts[r] for r in ("consumer", "merchant", "creator")
    )
    shop = next(m.shop_id for m in truth.merchants if m.user_id == merchant)
    out: dict[str, list[str]] = {r: [] for r in CONSOLE_PAGES}
    content = _one(p, "SELECT content_id FROM content_products ORDER BY content_id LIMIT 1")
    product = _one(p, "SELECT product_id FROM content_products ORDER BY content_id LIMIT 1")
    if content is not None:
        out["consumer"] += [f"/content/{content}", f"/products/{product}"]
    order = _one(p, "SELECT max(id) FROM orders WHERE buyer_id = :u", u=consumer)
    if order is not None:
        out["consumer"].append(f"/orders/{order}")
    mine = _one(p, "SELECT max(id) FROM products WHERE shop_id = :s", s=shop)
    if mine is not None:
        out["merchant"].append(f"/merchant/products/{mine}")
    shop_order = _one(p, "SELECT max(id) FROM orders WHERE shop_id = :s", s=shop)
    if shop_order is not None:
        out["merchant"].append(f"/merchant/orders/{shop_order}")
    request = _one(p, "SELECT max(id) FROM aftersales_requests WHERE shop_id = :s", s=shop)
    if request is not None:
        out["merchant"].append(f"/merchant/aftersales/{request}")
    item = _one(
        p,
        "SELECT max(c.id) FROM content_items c JOIN creators k ON k.id = c.creator_id "
        "WHERE k.user_id = :u",
        u=creator,
    )
    if item is not None:
        out["creator"].append(f"/creator/content/{item}")
    return out


def sign_in(client: TestClient, user_id: int) -> None:
    login = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    if token is None:
        raise SystemExit("the log-in page has no CSRF field")
    answer = client.post(
        f"/demo/login/{user_id}", data={"csrf_token": token.group(1)}, follow_redirects=False
    )
    if answer.status_code != 303:
        raise SystemExit(f"demo log-in failed: {answer.status_code} {answer.text[:200]}")


def time_page(client: TestClient, path: str, repeat: int) -> dict[str, object]:
    samples: list[float] = []
    status = 0
    for _ in range(repeat + 1):
        began = time.perf_counter()
        answer = client.get(path)
        samples.append((time.perf_counter() - began) * 1000)
        status = answer.status_code
        if status != 200:
            raise SystemExit(f"{path} answered {status}: {answer.text[:300]}")
    cold, warm = samples[0], sorted(samples[1:])
    p95 = warm[min(len(warm) - 1, round(0.95 * (len(warm) - 1)))]
    return {
        "path": path,
        "status": status,
        "cold_ms": round(cold, 1),
        "median_ms": round(statistics.median(warm), 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(warm[-1], 1),
        "under_budget": p95 < BUDGET_MS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("var/demo"))
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--in-place", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    if not SimTruth.exists(args.data_dir):
        raise SystemExit(f"no demo in {args.data_dir}: build one with `xingqu demo --no-serve`")
    console = Console(width=150)
    work = args.data_dir
    scratch = None
    if not args.in_place:
        scratch = Path(tempfile.mkdtemp(prefix="xingqu-pages-"))
        work = scratch / "data"
        shutil.copytree(args.data_dir, work)
    try:
        platform = build_platform(Settings(data_dir=work, demo_mode=True), migrate_schema=False)
        platform.prepare_to_serve()  # as `xingqu serve` does before it listens
        truth = SimTruth.load(work)
        details = detail_pages(platform, truth)
        sizes = {
            name: _one(platform, f"SELECT count(*) FROM {name}")
            for name in ("users", "products", "content_items", "orders", "behaviour_events")
        }
        rows: list[dict[str, object]] = []
        for role, pages in CONSOLE_PAGES.items():
            with TestClient(create_app(platform, drain_in_background=False)) as client:
                sign_in(client, truth.demo_accounts[role])
                for path in [*pages, *details[role]]:
                    rows.append({"role": role, **time_page(client, path, args.repeat)})
        platform.close()
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)

    table = Table(title=f"Pages, server-side in process ({args.repeat} requests after a cold one)")
    for column in ("role", "page", "cold ms", "median ms", "p95 ms", "max ms", "< 300 ms"):
        table.add_column(column, justify="left" if column in ("role", "page") else "right")
    for r in rows:
        table.add_row(
            str(r["role"]), str(r["path"]), f"{r['cold_ms']}", f"{r['median_ms']}",
            f"{r['p95_ms']}", f"{r['max_ms']}", "yes" if r["under_budget"] else "NO",
        )  # fmt: skip
    console.print(table)
    console.print(f"data: {sizes}")
    worst = max(rows, key=lambda r: float(r["p95_ms"]))  # type: ignore[arg-type]
    console.print(f"slowest p95: {worst['path']} {worst['p95_ms']} ms")
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.out / f"pages-{stamp}.json"
    path.write_text(
        json.dumps(
            {
                "budget_ms": BUDGET_MS,
                "repeat": args.repeat,
                "data": sizes,
                "machine": f"{host.machine()} {host.system()}, Python {sys.version.split()[0]}",
                "rows": rows,
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    console.print(f"wrote {path}")


if __name__ == "__main__":
    main()

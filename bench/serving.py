"""Serving benchmark: one 20-item feed on 100,000 content items and 100,000 people.

usage: python bench/serving.py [--data-dir var/bench-serving] [--reuse] [--requests 2000]
                               [--http-seconds 20] [--connections 16] [--quick] [--out FILE]

1. Seeds a synthetic platform (`bench/serving_world.py`: 100k people, 100k content items, 30k
   products, a month of behaviour from latent tastes) into SQLite, unless `--reuse`.
2. Trains a version on it (`train_and_publish`), serves `--warm-feeds` feeds through the engine
   (which logs their impressions and feature rows), writes the synthetic people's responses to
   them (watches and likes from their tastes), and trains again, so that the served version has
   a retrieval blend, the exploration co-affinity and a trained multi-task ranker.
3. In process: times `--requests` feeds of 20 items (`FeedEngine.serve`, impressions logged as
   in production) for random people: p50 / p90 / p99 / max. The platform runs on the world's
   time moving as the wall clock does (`ShiftedClock`), so its caches refresh in the background
   as in `xingqu serve`, not inside the measured requests.
4. Over HTTP: starts the real server (`xingqu serve`, uvicorn, one process) on the same data and
   drives it with `wrk` (one thread, `--connections` connections, `--http-seconds` each): the
   feed endpoint with a bearer token per request (1,000 people, round robin), then the trivial
   `/api/v1/health` endpoint of the same server — the ceiling. Reports requests per second of
   both and their ratio. Without `wrk` on the PATH the HTTP part is skipped (saying so).

Prints tables and writes JSON (bench/results/serving.json by default). `--quick` is a small
smoke run (10k people and items).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform as host
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import serving_world
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import func, insert, select

from xingqu.bootstrap import Platform, build_platform
from xingqu.cli.demo import progress_bars
from xingqu.config import Settings
from xingqu.discovery.engine.training import train_and_publish
from xingqu.discovery.feed import Feed
from xingqu.discovery.models import BehaviourEvent
from xingqu.discovery.rules import Action
from xingqu.identity.models import ApiToken
from xingqu.shared.access import Actor, Role
from xingqu.shared.clock import ManualClock, ShiftedClock
from xingqu.shared.progress import rich_steps

console = Console()
READY_FILE = "serving-world.json"


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    shape = (
        serving_world.WorldShape(
            users=10_000, content=10_000, products=3_000, merchants=200, creators=500
        )
        if args.quick
        else serving_world.WorldShape()
    )
    settings = Settings(data_dir=args.data_dir, environment="test")
    ready = args.data_dir / READY_FILE
    timings: dict[str, float] = {}
    if not (args.reuse and ready.is_file()):
        shutil.rmtree(args.data_dir, ignore_errors=True)
        args.data_dir.mkdir(parents=True)
        end = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
        timings |= _prepare(settings, shape, end, args.warm_feeds)
        ready.write_text(json.dumps({"end": end.isoformat(), "shape": shape.__dict__}))
    end = datetime.fromisoformat(json.loads(ready.read_text())["end"])
    # the world's time, running as the wall clock does: caches refresh in the background, as
    # in `xingqu serve` (a manual clock would make them refresh inside the measured requests)
    platform = build_platform(settings, clock=ShiftedClock(end + timedelta(minutes=30)))
    try:
        platform.prepare_to_serve()  # as `xingqu serve` does when it starts
        version = platform.feed_engine.slot.registry.current()  # type: ignore[union-attr]
        latency = _in_process(platform, shape, args.requests)
        counts = _counts(platform)
    finally:
        platform.close()
    http = _over_http(settings, shape, args) if shutil.which("wrk") else None
    _print(latency, http, counts, version)
    payload = {
        "command": " ".join(["bench/serving.py", *(argv if argv is not None else sys.argv[1:])]),
        "machine": f"{host.node()}, {os.cpu_count()} cores, Python {host.python_version()}",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "shape": shape.__dict__,
        "counts": counts,
        "model_version": version,
        "prepare_s": timings,
        "in_process_ms": latency,
        "http": http if http is not None else "skipped: wrk is not installed",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    console.print(f"wrote {args.out}")
    return 0


def _prepare(
    settings: Settings, shape: serving_world.WorldShape, end: datetime, warm_feeds: int
) -> dict[str, float]:
    clock = ManualClock(end)
    platform = build_platform(settings, clock=clock)
    timings: dict[str, float] = {}
    try:
        with progress_bars(console) as bars:
            began = time.perf_counter()
            task = bars.add_task("seeding the world", total=None)
            world = serving_world.build(
                platform,
                shape,
                end=end,
                advance=lambda what, n: bars.update(task, description=f"seeded {n:,} {what}"),
            )
            bars.update(task, total=1, completed=1)
            timings["seed_s"] = time.perf_counter() - began
            began = time.perf_counter()
            _train(platform, end, bars)
            timings["train_1_s"] = time.perf_counter() - began
            began = time.perf_counter()
            _warm(platform, world, clock, warm_feeds, bars)
            timings["warm_feeds_s"] = time.perf_counter() - began
            began = time.perf_counter()
            _train(platform, clock.now() + timedelta(hours=3), bars)
            timings["train_2_s"] = time.perf_counter() - began
    finally:
        platform.close()
    return timings


def _train(platform: Platform, now: datetime, bars: Progress) -> None:
    registry = platform.feed_engine.slot.registry
    assert registry is not None
    manifest = train_and_publish(
        lambda: platform.uow(readonly=True), registry, now=now, step=rich_steps(bars)
    )
    console.print(
        f"version {manifest.version}: {', '.join(manifest.components)}; "
        f"{json.dumps(manifest.counts)}; {json.dumps({k: round(v, 3) for k, v in manifest.metrics.items()})}"
    )


def _warm(
    platform: Platform,
    world: serving_world.World,
    clock: ManualClock,
    feeds: int,
    bars: Progress,
) -> None:
    """Serve `feeds` feeds and write the people's responses: what the ranker learns from."""
    rng = np.random.default_rng(11)
    engine = platform.feed_engine
    engine.slot.refresh()
    task = bars.add_task("serving warm-up feeds", total=feeds)
    responses: list[dict[str, Any]] = []
    for n in range(feeds):
        clock.set(clock.now() + timedelta(seconds=1))
        user = int(rng.choice(world.consumer_ids))
        page = engine.serve(platform.uow(), _consumer(user), limit=20)
        responses += _responses(rng, world, user, page, clock.now())
        bars.advance(task)
        if len(responses) > 20_000 or n == feeds - 1:
            with platform.uow() as uow:
                uow.session.execute(insert(BehaviourEvent), responses)
                uow.commit()
            responses = []


def _responses(
    rng: np.random.Generator, world: serving_world.World, user: int, page: Feed, at: datetime
) -> list[dict[str, Any]]:
    leaves, weights = world.tastes[user]
    taste = dict(zip(leaves.tolist(), weights.tolist(), strict=True))
    rows = []
    for item in page.items:
        affinity = taste.get(item.category_id, 0.0)
        duration = max(item.duration_s, 5)
        watched = duration * min(1.0, rng.beta(1 + 6 * affinity, 3))
        base = {
            "user_id": user,
            "content_id": item.content_id,
            "product_id": None,
            "creator_id": item.creator_id,
            "category_id": item.category_id,
            "request_id": page.request_id,
            "source_event_id": None,
            "source_seq": 0,
        }
        rows.append(
            {
                **base,
                "action": "watch",
                "value": round(float(watched), 1),
                "occurred_at": at + timedelta(seconds=5),
            }
        )
        if rng.random() < 0.02 + 0.4 * affinity:
            rows.append(
                {**base, "action": "like", "value": 0.0, "occurred_at": at + timedelta(seconds=6)}
            )
    return rows


def _consumer(user_id: int) -> Actor:
    return Actor(user_id=user_id, roles=frozenset({Role.CONSUMER}))


def _in_process(
    platform: Platform, shape: serving_world.WorldShape, requests: int
) -> dict[str, float]:
    rng = np.random.default_rng(5)
    engine = platform.feed_engine
    for user in rng.integers(1, shape.users + 1, size=20):  # warm caches and code paths
        engine.serve(platform.uow(), _consumer(int(user)), limit=20)
    times = []
    cpu = []
    items = []
    for user in rng.integers(1, shape.users + 1, size=requests):
        began, began_cpu = time.perf_counter(), time.thread_time()
        page = engine.serve(platform.uow(), _consumer(int(user)), limit=20)
        cpu.append((time.thread_time() - began_cpu) * 1000.0)
        times.append((time.perf_counter() - began) * 1000.0)
        items.append(len(page.items))

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {
        "requests": requests,
        "p50": pct(times, 0.50),
        "p90": pct(times, 0.90),
        "p99": pct(times, 0.99),
        "max": round(max(times), 2),
        "mean": round(statistics.fmean(times), 2),
        # CPU time of the serving thread: what a request costs when it has a core to itself
        "cpu_p50": pct(cpu, 0.50),
        "cpu_p99": pct(cpu, 0.99),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "mean_items": round(statistics.fmean(items), 2),
    }


def _counts(platform: Platform) -> dict[str, int]:
    with platform.uow(readonly=True) as uow:
        rows = uow.session.scalar(select(func.count()).select_from(BehaviourEvent))
        impressions = uow.session.scalar(
            select(func.count()).where(BehaviourEvent.action == Action.IMPRESSION)
        )
    return {"behaviour_rows": int(rows or 0), "impressions": int(impressions or 0)}


# --- over HTTP -------------------------------------------------------------------------------


def _over_http(
    settings: Settings, shape: serving_world.WorldShape, args: argparse.Namespace
) -> dict[str, Any]:
    tokens = _issue_tokens(settings, shape, 1_000)
    port = _free_port()
    env = {**os.environ, "XINGQU_DATA_DIR": str(settings.data_dir), "XINGQU_ENVIRONMENT": "test"}
    xingqu = Path(sys.executable).with_name("xingqu")
    server = subprocess.Popen(
        [str(xingqu), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_ready(port)
        with tempfile.TemporaryDirectory() as tmp:
            script = Path(tmp) / "feed.lua"
            script.write_text(_lua(tokens, "/api/v1/feed?limit=20"))
            health = Path(tmp) / "health.lua"
            health.write_text(_lua(tokens[:1], "/api/v1/health"))
            base = f"http://127.0.0.1:{port}"
            _wrk(base, script, 3, args.connections)  # warm-up
            feed = _wrk(base, script, args.http_seconds, args.connections)
            ceiling = _wrk(base, health, args.http_seconds, args.connections)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return {
        "connections": args.connections,
        "seconds": args.http_seconds,
        "feed": feed,
        "health (ceiling)": ceiling,
        "feed / ceiling": round(feed["requests_per_s"] / ceiling["requests_per_s"], 3),
    }


def _issue_tokens(settings: Settings, shape: serving_world.WorldShape, n: int) -> list[str]:
    platform = build_platform(settings)
    tokens = [secrets.token_urlsafe(24) for _ in range(n)]
    now = datetime.now(UTC)
    try:
        with platform.uow() as uow:
            uow.session.execute(
                insert(ApiToken),
                [
                    {
                        "user_id": 1 + (i * 97) % shape.users,
                        "token_hash": hashlib.sha256(t.encode()).hexdigest(),
                        "name": "bench",
                        "kind": "api",
                        "created_at": now,
                        "expires_at": now + timedelta(hours=2),
                    }
                    for i, t in enumerate(tokens)
                ],
            )
            uow.commit()
    finally:
        platform.close()
    return tokens


def _lua(tokens: list[str], path: str) -> str:
    listed = ", ".join(f'"{t}"' for t in tokens)
    return (
        f"tokens = {{{listed}}}\n"
        "counter = 0\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        f'  return wrk.format("GET", "{path}", '
        '{["Authorization"] = "Bearer " .. tokens[(counter % #tokens) + 1]})\n'
        "end\n"
    )


def _wrk(base: str, script: Path, seconds: int, connections: int) -> dict[str, Any]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    percentiles = {
        f"p{q}": m.group(1) for q in (50, 90, 99) if (m := re.search(rf"\s{q}%\s+(\S+)", out))
    }
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests_per_s": rps,
        "latency": percentiles,
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(port: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("the server did not start")


def _print(
    latency: dict[str, float],
    http: dict[str, Any] | None,
    counts: dict[str, int],
    version: str | None,
) -> None:
    table = Table(title=f"One 20-item feed in process (model version {version})")
    columns = ("requests", "p50 ms", "p90 ms", "p99 ms", "max ms", "CPU p50", "CPU p99", "items")
    for column in columns:
        table.add_column(column, justify="right")
    table.add_row(
        str(latency["requests"]),
        *(f"{latency[k]:.1f}" for k in ("p50", "p90", "p99", "max", "cpu_p50", "cpu_p99")),
        f"{latency['mean_items']:.1f}",
    )
    console.print(table)
    console.print(f"load average while measuring: {latency['load_average_1m']}")
    console.print(f"behaviour log: {counts['behaviour_rows']:,} rows")
    if http is None:
        console.print("HTTP: skipped (wrk is not installed)")
        return
    table = Table(title=f"Over HTTP (uvicorn, one process, {http['connections']} connections)")
    for column in ("endpoint", "requests/s", "p50", "p99", "non-2xx"):
        table.add_column(column, justify="right")
    for name in ("feed", "health (ceiling)"):
        row = http[name]
        table.add_row(
            name,
            f"{row['requests_per_s']:.0f}",
            row["latency"].get("p50", "?"),
            row["latency"].get("p99", "?"),
            str(row["non_2xx"]),
        )
    console.print(table)
    console.print(f"feed / ceiling = {http['feed / ceiling']:.3f}")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench-serving"))
    parser.add_argument("--reuse", action="store_true", help="reuse a seeded, trained platform")
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--warm-feeds", type=int, default=5_000)
    parser.add_argument("--http-seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument("--out", type=Path, default=Path("bench/results/serving.json"))
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(main())

"""Does the engine find what simulated people like without being told? Latent-interest recovery.

usage: python bench/sim_recovery.py [--users 2000 --content 6000 --days 3 --seed 42 --k 20]
                                    [--data-dir var/bench-recovery] [--reuse] [--out FILE]

1. Builds a simulated marketplace through the services (`xingqu demo`'s code, without serving)
   and lives `--days` days in it; after each day the engine trains a new version on the log so
   far (as `xingqu demo` does). The people's interests are known to the simulator only: each has
   explicit interests and *latent* ones (categories they would like but have not looked for).
2. After the last day, each person gets one list of `--k` items from each system, every list
   leaving out what the person has already been shown or engaged with:
   - `xingqu engine`: the feed engine's page (`FeedEngine.serve(log=False)`: nothing written);
   - `xingqu engine, no exploration`: the same engine with the exploration channel off;
   - `popularity`: the most engaged items (`PopularityRecommender`);
   - `plain CF`: ALS alone (`ALSRecommender`, 64 factors) on the same engagements.
   Popularity and ALS are fitted on exactly what the engine's last training read.
3. Scores each system's lists against the truth (`sim.recovery.latent_recovery`): the share of
   people with a latent interest shown at least one item of it (hit rate), the mean share of a
   person's latent categories shown (recall), the same over latent categories the person had
   never engaged with (unrevealed recall: what only discovery can find), and the nDCG of the
   list with each slot's gain the person's true interest weight in its category.

Prints a table and writes JSON (bench/results/sim_recovery.json by default).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform as host
import sys
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
from rich.console import Console
from rich.table import Table
from scipy import sparse

from xingqu.bootstrap import Platform, build_platform
from xingqu.cli.demo import prepare_demo
from xingqu.config import Settings
from xingqu.discovery.engine.profile import build_profile
from xingqu.discovery.engine.serving import FeedEngine
from xingqu.discovery.engine.training import (
    TrainingSettings,
    collect,
    engagements,
)
from xingqu.discovery.port import DataPort
from xingqu.discovery.retrieval.als import ALSRecommender
from xingqu.discovery.retrieval.popularity import PopularityRecommender
from xingqu.discovery.rules import Channel
from xingqu.shared.clock import ManualClock
from xingqu.sim.context import consumer
from xingqu.sim.recovery import Recovery, latent_recovery
from xingqu.sim.truth import SimProgress, SimTruth
from xingqu.sim.world import WorldSize

console = Console()


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    settings = Settings(data_dir=args.data_dir, environment="test", demo_mode=True)
    size = WorldSize(args.users, args.merchants, args.products, args.creators, args.content)
    started = time.perf_counter()
    now = datetime.now(UTC).replace(microsecond=0)
    result = prepare_demo(
        settings,
        size,
        days=args.days,
        seed=args.seed,
        rebuild=not args.reuse,
        console=console if args.progress else Console(file=io.StringIO()),
        now=now,
    )
    simulate_s = time.perf_counter() - started
    truth = result.truth
    progress = SimProgress.load(settings.data_dir)
    end = datetime.fromisoformat(progress.last_end) if progress else now
    platform = build_platform(settings, clock=ManualClock(end))
    try:
        lists, revealed, fit_s = _lists(platform, truth, end, args.k)
    finally:
        platform.close()
    rows = {
        name: latent_recovery(ls, truth, k=args.k, revealed=revealed) for name, ls in lists.items()
    }
    _print(rows, args)
    payload = {
        "command": " ".join(
            [Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]
        ),
        "machine": f"{host.node()} {os.cpu_count()} cores, Python {host.python_version()}",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "world": asdict(size),
        "days": args.days,
        "seed": args.seed,
        "k": args.k,
        "simulate_and_train_s": round(simulate_s, 1),
        "baseline_fit_s": {name: round(s, 2) for name, s in fit_s.items()},
        "systems": {name: asdict(r) for name, r in rows.items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    console.print(f"wrote {args.out}")
    return 0


def _lists(
    platform: Platform, truth: SimTruth, end: datetime, k: int
) -> tuple[dict[str, dict[int, list[int]]], dict[int, set[int]], dict[str, float]]:
    """Each system's list for every simulated person (category ids, best first)."""
    data = collect(
        lambda: platform.uow(readonly=True),
        end - timedelta(days=TrainingSettings().window_days),
        end,
    )
    ids = data.catalogue_ids
    durations = dict(
        zip(ids.tolist(), data.catalogue["duration"].astype(int).tolist(), strict=True)
    )
    categories = np.unique(data.catalogue["category"])
    interactions, engaged_ids = engagements(
        data, durations, np.searchsorted(categories, data.catalogue["category"])
    )
    fit_s: dict[str, float] = {}
    baselines = {
        "popularity": PopularityRecommender(),
        "plain CF (ALS)": ALSRecommender(factors=64, regularization=0.05, alpha=10.0),
    }
    for name, model in baselines.items():
        began = time.perf_counter()
        model.fit(interactions)
        fit_s[name] = time.perf_counter() - began

    people = [u.user_id for u in truth.users]
    index = {int(u): i for i, u in enumerate(engaged_ids)}
    # users the baselines never saw get indices past the fitted ones (their fallback)
    rows = np.array(
        [index.get(u, len(engaged_ids) + n) for n, u in enumerate(people)], dtype=np.int64
    )
    log = data.log
    position = np.searchsorted(ids, log.content)
    position = np.minimum(position, len(ids) - 1)
    on_catalogue = (log.content >= 0) & (ids[position] == log.content)
    row_of_user = {u: int(r) for u, r in zip(people, rows, strict=True)}
    seen_rows = np.array([row_of_user.get(int(u), -1) for u in log.user[on_catalogue]])
    seen_cols = position[on_catalogue]
    keep = seen_rows >= 0
    seen = sparse.csr_matrix(
        (np.ones(int(keep.sum()), dtype=np.float32), (seen_rows[keep], seen_cols[keep])),
        shape=(int(rows.max()) + 1, len(ids)),
    )
    category_of = data.catalogue["category"]
    out: dict[str, dict[int, list[int]]] = {}
    for name, model in baselines.items():
        items, _ = model.recommend(rows, k, exclude=seen)
        out[name] = {
            user: [int(category_of[i]) for i in row if i >= 0]
            for user, row in zip(people, items, strict=True)
        }
    engines = {
        "xingqu engine": platform.feed_engine,
        "xingqu engine, no exploration": _without_exploration(platform.feed_engine),
    }
    for name, engine in engines.items():
        engine.slot.refresh()
        out[name] = {}
        for user in people:
            page = engine.serve(platform.uow(), consumer(user), limit=k, log=False)
            out[name][user] = [item.category_id for item in page.items]
    revealed: dict[int, set[int]] = {}
    with platform.uow(readonly=True) as uow:
        for user in people:
            revealed[user] = set(build_profile(DataPort(uow), user, end).engaged_categories)
    return out, revealed, fit_s


def _without_exploration(engine: FeedEngine) -> FeedEngine:
    """The same engine and version, with the exploration channel and slots switched off."""
    return FeedEngine(
        engine.slot.registry,
        policy=replace(engine.policy, exploration_slots=()),
        value=engine.value,
        creator_cap=engine.creator_cap,
        channels=frozenset(Channel) - {Channel.EXPLORATION},
    )


def _print(rows: dict[str, Recovery], args: argparse.Namespace) -> None:
    table = Table(
        title=f"Latent-interest recovery, top {args.k}, {args.users:,} simulated people, "
        f"{args.days} days (seed {args.seed})"
    )
    for column in ("system", "hit rate", "latent recall", "unrevealed recall", "interest nDCG"):
        table.add_column(column, justify="left" if column == "system" else "right")
    for name, r in rows.items():
        table.add_row(
            name,
            f"{r.latent_hit_rate:.3f}",
            f"{r.latent_recall:.3f}",
            f"{r.unrevealed_recall:.3f}",
            f"{r.interest_ndcg:.3f}",
        )
    console.print(table)
    first = next(iter(rows.values()))
    console.print(
        f"{first.users} people scored, {first.latent_users} with latent interests, "
        f"{first.unrevealed_users} with latent interests they never engaged with."
    )


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    defaults = WorldSize()
    parser.add_argument("--users", type=int, default=defaults.users)
    parser.add_argument("--merchants", type=int, default=defaults.merchants)
    parser.add_argument("--products", type=int, default=defaults.products)
    parser.add_argument("--creators", type=int, default=defaults.creators)
    parser.add_argument("--content", type=int, default=defaults.content)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench-recovery"))
    parser.add_argument("--reuse", action="store_true", help="reuse a world built before")
    parser.add_argument("--progress", action="store_true", help="show the simulation's bars")
    parser.add_argument("--out", type=Path, default=Path("bench/results/sim_recovery.json"))
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(main())

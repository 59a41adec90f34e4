"""Does the engine find what simulated people like without being told? Latent-interest recovery.

usage: python bench/sim_recovery.py [--users 2000 --content 6000 --days 3 --seed 42 --k 20]
                                    [--data-dir var/bench-recovery] [--reuse] [--out FILE]
                                    [--policies NAME ...]

The simulated people's interests are known to the simulator only: each has explicit interests
and *latent* ones (categories they would like but do not look for). Two measurements:

1. **Outcome, one simulated world per policy (`POLICIES`).** The same world (same seed) is built
   through the services (`xingqu demo`'s code) and lives `--days` days, each time with another
   policy serving every feed; after each day the engine trains a new version on the log so far.
   At the end, against the truth: the share of each person's latent interests they ended up
   engaging with (discovered: the feed showed them, and they liked it), the mean true interest
   weight of what they were shown, orders paid and GMV. Arms: the Xingqu engine; the same engine
   without its exploration channel; plain CF — ALS retrieval, with trending and fresh content for
   people it does not know yet, in the same serving stack; a popularity feed (trending and fresh
   content).
2. **One page after the engine's days.** Each person gets one list of `--k` items from each
   system, every list leaving out what the person has already been shown or engaged with:
   - `xingqu engine`: the feed engine's page (`FeedEngine.serve(log=False)`: nothing written);
   - `xingqu engine, no exploration`: the same engine with the exploration channel off;
   - `popularity`: the most engaged items (`PopularityRecommender`);
   - `plain CF (ALS)`: ALS alone (`ALSRecommender`, 64 factors) on the same engagements.
   Popularity and ALS are fitted on exactly what the engine's last training read. Scored with
   `sim.recovery.latent_recovery`: the share of people with a latent interest shown at least
   one item of it (hit rate), the mean share of a person's latent categories shown (recall),
   the same over latent categories the person had never engaged with (unrevealed recall), and
   the nDCG of the list with each slot's gain the person's true interest weight in its category.

Prints tables and writes JSON (bench/results/sim_recovery.json by default).
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
from typing import Any

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
from xingqu.discovery.rules import Action, Channel
from xingqu.shared.clock import ManualClock
from xingqu.sim.context import consumer
from xingqu.sim.recovery import Recovery, latent_recovery
from xingqu.sim.report import SimulationReport
from xingqu.sim.truth import SimProgress, SimTruth
from xingqu.sim.world import WorldSize

console = Console()


POLICIES: dict[str, dict[str, Any]] = {
    "xingqu engine": {},
    "engine, six exploration slots": {"exploration_slots": [2, 5, 8, 11, 14, 17]},
    "engine without exploration": {
        "feed_channels": [c.value for c in Channel if c != Channel.EXPLORATION]
    },
    "plain CF (ALS) feed": {
        "feed_channels": ["model", "trending", "fresh"],
        "retrieval_model": "als",
    },
    "popularity feed": {"feed_channels": ["trending", "fresh"]},
}
"""What serves the simulated people's feeds in each arm of the outcome comparison (Settings)."""


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    size = WorldSize(args.users, args.merchants, args.products, args.creators, args.content)
    now = datetime.now(UTC).replace(microsecond=0)
    outcomes: dict[str, dict[str, float]] = {}
    simulate_s: dict[str, float] = {}
    for arm, (name, overrides) in enumerate(POLICIES.items()):
        if args.policies and name != "xingqu engine" and name not in args.policies:
            continue
        settings = Settings(
            data_dir=args.data_dir / f"arm{arm}", environment="test", demo_mode=True, **overrides
        )
        started = time.perf_counter()
        result = prepare_demo(
            settings,
            size,
            days=args.days,
            seed=args.seed,
            rebuild=not args.reuse,
            console=console if args.progress else Console(file=io.StringIO()),
            now=now,
        )
        simulate_s[name] = round(time.perf_counter() - started, 1)
        progress = SimProgress.load(settings.data_dir)
        end = datetime.fromisoformat(progress.last_end) if progress else now
        platform = build_platform(settings, clock=ManualClock(end))
        try:
            outcomes[name] = _outcome(platform, result.truth, result.report, end)
            if name == "xingqu engine":
                truth = result.truth
                lists, revealed, fit_s = _lists(platform, truth, end, args.k)
        finally:
            platform.close()
        console.print(f"{name}: {json.dumps({k: round(v, 4) for k, v in outcomes[name].items()})}")
    rows = {
        name: latent_recovery(ls, truth, k=args.k, revealed=revealed) for name, ls in lists.items()
    }
    _print_outcomes(outcomes, args)
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
        "simulate_and_train_s": simulate_s,
        "policies": POLICIES,
        "outcomes": outcomes,
        "baseline_fit_s": {name: round(s, 2) for name, s in fit_s.items()},
        "lists_after_the_engine_arm": {name: asdict(r) for name, r in rows.items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    console.print(f"wrote {args.out}")
    return 0


def _outcome(
    platform: Platform, truth: SimTruth, report: SimulationReport | None, end: datetime
) -> dict[str, float]:
    """What the simulated days led to, against the truth: the share of people's latent
    interests they ended up engaging with (discovered), the mean true interest of what they were
    shown, and the money."""
    ids = {c.code: c.id for c in truth.categories}
    discovered: list[float] = []
    relevance: list[float] = []
    with platform.uow(readonly=True) as uow:
        data = DataPort(uow)
        for user in truth.users:
            profile = build_profile(data, user.user_id, end)
            latent = {ids[c] for c in user.latent}
            if latent:
                discovered.append(len(latent & profile.engaged_categories) / len(latent))
            weights = {ids[c]: w for c, w in user.interests.items()}
            shown = [
                s.category_id
                for s in data.user_signals(
                    user.user_id, since=end - timedelta(days=30), limit=10_000
                )
                if s.action == Action.IMPRESSION
            ]
            if shown:
                relevance.append(sum(weights.get(c, 0.0) for c in shown) / len(shown))
    return {
        "latent_discovered": sum(discovered) / max(1, len(discovered)),
        "shown_interest": sum(relevance) / max(1, len(relevance)),
        "orders_paid": float(report.orders_paid if report else 0),
        "gmv_yuan": (report.gmv_fen / 100.0) if report else 0.0,
    }


def _print_outcomes(outcomes: dict[str, dict[str, float]], args: argparse.Namespace) -> None:
    table = Table(
        title=f"What {args.days} simulated days led to, by what served the feed "
        f"({args.users:,} people, seed {args.seed})"
    )
    for column in (
        "feed served by",
        "latent interests discovered",
        "interest of what was shown",
        "orders paid",
        "GMV ¥",
    ):
        table.add_column(column, justify="left" if column == "feed served by" else "right")
    for name, o in outcomes.items():
        table.add_row(
            name,
            f"{o['latent_discovered']:.3f}",
            f"{o['shown_interest']:.4f}",
            f"{o['orders_paid']:.0f}",
            f"{o['gmv_yuan']:,.0f}",
        )
    console.print(table)


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
    parser.add_argument(
        "--policies",
        nargs="*",
        default=None,
        help="only these arms besides the engine (default: all of POLICIES)",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(main())

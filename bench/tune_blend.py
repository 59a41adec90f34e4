"""Tune a Xingqu blend's fusion weights on the validation stage of a split.

usage: python bench/tune_blend.py --dataset ml100k --pipeline blend-taste \
           [--set xingqu-blend-taste.candidates=200 ...] [--grid 0,0.25,0.5,1,2,4] [--metric ndcg@10]

The blend's channels are fitted once on the validation stage's fit data (train), each proposes
its top `candidates` items for every user with a validation target (seen items excluded), and
the weights are searched by coordinate ascent over `--grid` (three rounds, from the blend's own
weights) for the best metric of the fused lists against *all* validation targets, scored by
the protocol's `ranking_report`. Test targets are never read. The last line gives the `--set`
flags that make bench/compare.py use these weights without the blend's own hold-out tuning.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compare import parse_settings

from xingqu.discovery.evaluation.protocol import ranking_report
from xingqu.discovery.evaluation.split_files import load_split
from xingqu.discovery.evaluation.splits import SPLITS
from xingqu.discovery.retrieval import ESTIMATORS, BlendRecommender, fusion


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", required=True, choices=sorted(SPLITS))
    parser.add_argument("--pipeline", required=True, help="a blend in ESTIMATORS")
    parser.add_argument("--grid", default="0,0.1,0.25,0.5,1,2,4")
    parser.add_argument("--metric", default="ndcg@10")
    parser.add_argument("--set", action="append", default=[], metavar="SYSTEM.PARAM=VALUE")
    parser.add_argument("--eval-dir", default="var/eval")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    args = parser.parse_args(argv)
    system = f"xingqu-{args.pipeline}"
    params = parse_settings(args.set).get(system, {})
    blend = ESTIMATORS[args.pipeline](**{**params, "tune": False})
    if not isinstance(blend, BlendRecommender):
        raise SystemExit(f"{args.pipeline} is not a blend")
    grid = [float(v) for v in args.grid.split(",")]
    split = load_split(args.dataset, eval_dir=Path(args.eval_dir))
    fit, targets = split.fit_data("valid"), split.targets("valid")
    users = np.unique(targets.user_ids)
    started = time.perf_counter()
    blend.fit(fit)
    history = fit.to_csr(binary=True)
    strengths = []
    for channel in blend.channels_:
        items, scores = channel.recommend(users, blend.candidates, exclude=history)
        strengths.append(
            (items, fusion.normalise(items, scores, blend.fusion, blend.rank_constant))
        )
    k = int(args.metric.split("@")[1])

    def quality(weights: list[float]) -> float:
        top, _, _ = fusion.top(fusion.fuse(strengths, weights, split.n_items), k)
        return ranking_report(top, users, targets, fit, (k,))[args.metric]

    weights = list(blend.weights_)
    best = start = quality(weights)
    for _ in range(3):
        improved = False
        for index in range(len(weights)):
            for value in grid:
                trial = [*weights[:index], value, *weights[index + 1 :]]
                if not any(trial):
                    continue
                score = quality(trial)
                if score > best + 1e-9:
                    best, weights, improved = score, trial, True
        if not improved:
            break
    seconds = time.perf_counter() - started
    print(f"{args.pipeline} on {split.name} (valid), channels {blend.active_}")
    print(f"  given weights {list(blend.weights_)}: {args.metric} {start:.4f}")
    print(f"  tuned weights {weights}: {args.metric} {best:.4f}  ({seconds:.0f} s)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    record: dict[str, Any] = {
        "split": split.name,
        "pipeline": args.pipeline,
        "stage": "valid",
        "channels": blend.active_,
        "metric": args.metric,
        "given": {"weights": list(blend.weights_), "value": start},
        "tuned": {"weights": weights, "value": best},
        "command": " ".join(sys.argv),
        "seconds": round(seconds, 1),
    }
    path = out / f"tune-blend-{split.name}-{args.pipeline}-{stamp}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    flags = [*args.set, f"{system}.weights={json.dumps(weights)}", f"{system}.tune=false"]
    print(" ".join(f"--set {flag}" for flag in flags))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Grid search of an in-process peer's hyper-parameters on the validation stage.

usage: python bench/tune.py --dataset beauty --model als \
           --grid factors=64,128 regularization=0.01,0.1 alpha=1,10 [--metric ndcg@10]

Each combination is fitted on train and scored on the validation targets (never on test); the
table is printed best first, JSON goes to bench/results/, and the last line gives the `--set`
flags for bench/compare.py.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import itertools
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import IN_PROCESS

from xingqu.discovery.evaluation.protocol import evaluate
from xingqu.discovery.evaluation.split_files import load_split
from xingqu.discovery.evaluation.splits import SPLITS


def parse_grid(values: list[str]) -> dict[str, list[Any]]:
    grid: dict[str, list[Any]] = {}
    for value in values:
        name, _, options = value.partition("=")
        grid[name] = [json.loads(v) for v in options.split(",")]
    return grid


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", required=True, choices=sorted(SPLITS))
    parser.add_argument("--model", required=True, choices=sorted(IN_PROCESS))
    parser.add_argument("--grid", nargs="+", required=True, metavar="PARAM=V1,V2")
    parser.add_argument("--metric", default="ndcg@10")
    parser.add_argument("--eval-dir", default="var/eval")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    args = parser.parse_args()
    grid = parse_grid(args.grid)
    split = load_split(args.dataset, eval_dir=Path(args.eval_dir))
    rows: list[dict[str, Any]] = []
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid, values, strict=True))
        result = evaluate(
            IN_PROCESS[args.model](**params),
            split,
            (10, 20),
            stage="valid",
            name=args.model,
            progress=False,
        )
        rows.append(
            {
                "params": params,
                "value": result["metrics"][args.metric],
                "fit_seconds": result["fit_seconds"],
            }
        )
        print(
            f"{params} {args.metric}={rows[-1]['value']:.4f} fit={result['fit_seconds']:.1f}s",
            flush=True,
        )
    rows.sort(key=lambda r: -r["value"])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out / f"tune-{args.dataset}-{args.model}-{stamp}.json"
    path.write_text(
        json.dumps(
            {
                "split": split.name,
                "model": args.model,
                "metric": args.metric,
                "stage": "valid",
                "rows": rows,
            },
            indent=2,
        )
        + "\n"
    )
    best = rows[0]["params"]
    print(f"best on valid: {best} ({args.metric} {rows[0]['value']:.4f}); wrote {path}")
    print(" ".join(f"--set {args.model}.{k}={v}" for k, v in best.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

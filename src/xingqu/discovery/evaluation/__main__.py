"""`python -m xingqu.discovery.evaluation DATASET MODEL...`: the offline evaluation from a shell.

    python -m xingqu.discovery.evaluation ml100k ALSRecommender EASERecommender --stage valid

MODEL names are estimators of `xingqu.discovery.retrieval`; see `report.run`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import cast

from xingqu.discovery.evaluation.report import run
from xingqu.discovery.evaluation.splits import SPLITS, Stage
from xingqu.shared.errors import DomainError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xingqu.discovery.evaluation")
    parser.add_argument("dataset", choices=sorted(SPLITS))
    parser.add_argument("models", nargs="+", help="estimator names in xingqu.discovery.retrieval")
    parser.add_argument("--stage", choices=("valid", "test", "both"), default="test")
    parser.add_argument("--k", default="10,20", help="cut-offs, comma-separated")
    parser.add_argument("--eval-dir", type=Path, default=Path("var") / "eval")
    parser.add_argument("--users", type=int, default=None, help="only this many users (smoke)")
    args = parser.parse_args(argv)
    stages = cast(tuple[Stage, ...], ("valid", "test") if args.stage == "both" else (args.stage,))
    try:
        run(
            args.dataset,
            args.models,
            stages=stages,
            k_values=tuple(int(k) for k in args.k.split(",")),
            eval_dir=args.eval_dir,
            users=args.users,
        )
    except DomainError as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

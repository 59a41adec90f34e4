"""`xingqu evaluate`: the offline evaluation of retrieval estimators on the public datasets.

    xingqu evaluate ml100k ease blend-taste --stage valid

MODELS are names of `xingqu.discovery.retrieval.ESTIMATORS` (or its estimator classes); the
split files are made from `../shared/data` on first use (see `xingqu.discovery.evaluation`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast

import typer

from xingqu.discovery.evaluation.report import run
from xingqu.discovery.evaluation.splits import SPLITS, Stage
from xingqu.shared.errors import DomainError


def evaluate(
    dataset: Annotated[str, typer.Argument(help=f"one of {', '.join(sorted(SPLITS))}")],
    models: Annotated[list[str], typer.Argument(help="estimator names, e.g. ease blend-taste")],
    stage: Annotated[str, typer.Option(help="valid, test or both")] = "test",
    k: Annotated[str, typer.Option(help="cut-offs, comma-separated")] = "10,20",
    eval_dir: Annotated[Path, typer.Option(help="split files and results")] = Path("var/eval"),
    users: Annotated[int | None, typer.Option(help="only this many users (smoke)")] = None,
) -> None:
    """Fit each model on a split's fit data, rank all items, print the metrics, write JSON."""
    if dataset not in SPLITS:
        raise typer.BadParameter(f"unknown dataset {dataset!r}; known: {', '.join(SPLITS)}")
    if stage not in ("valid", "test", "both"):
        raise typer.BadParameter("stage must be valid, test or both")
    stages = cast(tuple[Stage, ...], ("valid", "test") if stage == "both" else (stage,))
    try:
        run(
            dataset,
            models,
            stages=stages,
            k_values=tuple(int(v) for v in k.split(",")),
            eval_dir=eval_dir,
            users=users,
        )
    except DomainError as exc:
        typer.echo(f"error: {exc.code}: {exc.message}", err=True)
        raise typer.Exit(2) from exc

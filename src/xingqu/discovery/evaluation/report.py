"""`run`: evaluate several models on one split, print a table, write the results as JSON.

This is what `xingqu evaluate` calls. Models are given as a mapping name → estimator (or a
zero-argument factory), or as names of `xingqu.discovery.retrieval` estimators.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from xingqu.discovery.evaluation.errors import EvaluationError
from xingqu.discovery.evaluation.protocol import DEFAULT_BATCH, Recommender, evaluate
from xingqu.discovery.evaluation.split_files import load_split
from xingqu.discovery.evaluation.splits import Stage, restrict_users, sample_users
from xingqu.shared.clock import Clock, SystemClock
from xingqu.shared.errors import invalid

ModelSpec = Recommender | Callable[[], Recommender]

HEADLINE = (
    "hr@10",
    "ndcg@10",
    "recall@20",
    "ndcg@20",
    "mrr@10",
    "coverage@20",
    "novelty@20",
    "discovery@20",
    "auc_click",
    "gauc_click",
    "auc_buy",
)
"""The columns of the printed table (those that a result has)."""


def resolve_estimators(names: Sequence[str]) -> dict[str, Callable[[], Recommender]]:
    """Estimator classes of `xingqu.discovery.retrieval` by name (its `ESTIMATORS` mapping
    when it has one, else its exported classes)."""
    try:
        module = importlib.import_module("xingqu.discovery.retrieval")
    except ImportError as exc:
        raise invalid(
            EvaluationError.INVALID_PROTOCOL, "xingqu.discovery.retrieval is not available"
        ) from exc
    registry = getattr(module, "ESTIMATORS", None)
    found: dict[str, Callable[[], Recommender]] = {}
    for name in names:
        factory = registry.get(name) if isinstance(registry, dict) else None
        if factory is None:
            factory = getattr(module, name, None)
        if factory is None or not callable(factory):
            raise invalid(
                EvaluationError.INVALID_PROTOCOL, f"no estimator {name!r} in discovery.retrieval"
            )
        found[name] = factory
    return found


def results_table(results: Sequence[Mapping[str, Any]], title: str) -> Table:
    shown = [m for m in HEADLINE if any(m in r["metrics"] for r in results)]
    if not shown and results:  # other cut-offs than 10 and 20: show every metric
        shown = [m for m in results[0]["metrics"] if m != "seen_recommended"]
    table = Table(title=title)
    table.add_column("model")
    table.add_column("stage")
    for metric in shown:
        table.add_column(metric, justify="right")
    table.add_column("fit s", justify="right")
    table.add_column("eval s", justify="right")
    for r in results:
        cells = [f"{r['metrics'][m]:.4f}" if m in r["metrics"] else "–" for m in shown]
        table.add_row(
            r["model"],
            r["stage"],
            *cells,
            f"{r['fit_seconds']:.1f}",
            f"{r['evaluate_seconds']:.1f}",
        )
    return table


def run(
    dataset: str,
    models: Mapping[str, ModelSpec] | Sequence[str],
    *,
    stages: Sequence[Stage] = ("test",),
    k_values: Sequence[int] = (10, 20),
    eval_dir: Path | None = None,
    data_root: Path | None = None,
    users: int | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress: bool = True,
    console: Console | None = None,
    clock: Clock | None = None,
) -> dict[str, Any]:
    """Evaluate `models` on split `dataset` (made from the shared data when its files are
    missing) for each stage; print a table and write `<eval_dir>/results/<split>-<time>.json`.

    `users`: evaluate (and fit on) that many randomly chosen users only — the smoke mode.
    Returns what was written, with the file's path under "path"."""
    eval_dir = eval_dir if eval_dir is not None else Path("var") / "eval"
    console = console or (Console() if sys.stdout.isatty() else Console(width=200))
    clock = clock or SystemClock()
    factories: Mapping[str, ModelSpec] = (
        resolve_estimators(list(models)) if not isinstance(models, Mapping) else models
    )
    split = load_split(dataset, eval_dir=eval_dir, data_root=data_root)
    if users is not None:
        split = restrict_users(split, sample_users(split, users))
    results: list[dict[str, Any]] = []
    for name, spec in factories.items():
        for stage in stages:
            model = spec() if isinstance(spec, type) or not isinstance(spec, Recommender) else spec
            results.append(
                evaluate(
                    model,
                    split,
                    k_values,
                    stage=stage,
                    name=name,
                    batch_size=batch_size,
                    progress=progress,
                )
            )
    title = f"{split.name}: {split.meta.get('protocol', '')}; full ranking, seen items excluded"
    console.print(results_table(results, title))
    created = clock.now()
    payload: dict[str, Any] = {
        "split": split.name,
        "split_sha256": split.meta.get("content_sha256"),
        "protocol": split.meta.get("protocol"),
        "users": users,
        "created": created.isoformat(),
        "results": results,
    }
    out = eval_dir / "results" / f"{split.name}-{created.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2, default=_json_default) + "\n")
    console.print(f"wrote {out}")
    return {**payload, "path": str(out)}


def _json_default(value: object) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")

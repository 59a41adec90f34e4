"""Xingqu against its peers, side by side, on exactly the same split files.

usage:
  python bench/compare.py --dataset beauty|sports|ml100k|taobao|taobao-buy
      [--models popularity,transition,als,bpr,recbole-bpr,recbole-lightgcn,recbole-sasrec,
                recbole-gru4rec]   (default: the in-process peers)
      [--xingqu auto|none|NAME,...] [--stage test|valid] [--k 10,20] [--metric ndcg@10]
      [--epochs 1] [--early-stopping] [--smoke] [--users N] [--full-ranking]
      [--eval-dir var/eval] [--out bench/results] [--set als.factors=128 ...]

Every system is fitted on the stage's fit data (train for `valid`, train + valid for `test`),
ranks all items for every evaluated user with that user's seen items excluded, and is scored
by xingqu.discovery.evaluation's metric functions. RecBole models run in .venv-recbole
(bench/setup_recbole.sh) through bench/recbole_bridge.py; with --early-stopping they are first
trained on train with early stopping on valid, then retrained on train + valid for the best
epoch count. Xingqu's systems are whatever `xingqu.discovery.retrieval` offers (an `ESTIMATORS`
mapping, else its estimator classes); none are run when the package does not exist yet.

Prints one table (metrics, fit and evaluation seconds) and the ratio of Xingqu's best to the
best peer on --metric, and writes everything as JSON into --out.
--smoke: a few hundred users (their rows only) and one epoch, for a quick end-to-end check.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads: implicit's ALS wants it

import argparse
import importlib
import inspect
import json
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import IN_PROCESS
from recbole_bridge import RECBOLE_MODELS, SEQUENTIAL, recbole_available, run_recbole

from xingqu.discovery.evaluation.protocol import Recommender, evaluate
from xingqu.discovery.evaluation.split_files import load_split
from xingqu.discovery.evaluation.splits import SPLITS, Split, restrict_users, sample_users

DEFAULT_MODELS = "popularity,transition,als,bpr"
SMOKE_USERS = 300
SHOWN = (
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


def xingqu_systems(wanted: str = "auto") -> dict[str, Callable[..., Any]]:
    """Xingqu's estimators from `xingqu.discovery.retrieval`, named `xingqu-<name>`; {} when the
    package does not exist. `wanted` is "auto" or a comma-separated list of names.

    "auto" takes the package's `ESTIMATORS` mapping when it has one, else every exported class
    with `fit` and `recommend` that can be built without arguments, leaving out base classes
    (a class another found class derives from)."""
    try:
        module = importlib.import_module("xingqu.discovery.retrieval")
    except ImportError:
        return {}
    registry = getattr(module, "ESTIMATORS", None)
    if isinstance(registry, dict):
        found: dict[str, Callable[..., Any]] = dict(registry)
    else:
        found = {}
        for name in getattr(module, "__all__", dir(module)):
            try:
                obj = getattr(module, name)
            except (ImportError, AttributeError):
                continue
            if (
                inspect.isclass(obj)
                and callable(getattr(obj, "fit", None))
                and callable(getattr(obj, "recommend", None))
            ):
                found[name] = obj
    if wanted != "auto":
        chosen = [n.strip() for n in wanted.split(",") if n.strip()]
        missing = [n for n in chosen if n not in found]
        if missing:
            raise SystemExit(
                f"xingqu.discovery.retrieval has no {', '.join(missing)}; it has {', '.join(found)}"
            )
        return {f"xingqu-{n}": found[n] for n in chosen}
    classes = [c for c in found.values() if inspect.isclass(c)]
    usable = {}
    for name, factory in found.items():
        if inspect.isclass(factory) and any(
            c is not factory and issubclass(c, factory) for c in classes
        ):
            continue  # a base class
        required = [
            p
            for p in inspect.signature(factory).parameters.values()
            if p.default is inspect.Parameter.empty
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        if not required:
            usable[f"xingqu-{name}"] = factory
    return usable


def parse_settings(values: list[str]) -> dict[str, dict[str, Any]]:
    """`--set als.factors=128` → {"als": {"factors": 128}} (values parsed as JSON when they can be)."""
    settings: dict[str, dict[str, Any]] = {}
    for value in values:
        key, _, raw = value.partition("=")
        system, _, param = key.partition(".")
        if not param or not raw:
            raise SystemExit(f"--set wants SYSTEM.PARAM=VALUE, got {value!r}")
        try:
            parsed: Any = json.loads(raw)
        except json.JSONDecodeError:
            parsed = raw
        settings.setdefault(system, {})[param] = parsed
    return settings


def build(
    factory: Callable[..., Any], params: dict[str, Any], *, epochs: int | None
) -> Recommender:
    accepted = inspect.signature(factory).parameters
    kwargs = dict(params)
    if epochs is not None:
        for name in ("epochs", "iterations", "n_epochs"):
            if name in accepted and name not in kwargs:
                kwargs[name] = epochs
    model: Recommender = factory(**kwargs)
    return model


def run_system(
    system: str,
    factory: Callable[..., Any] | None,
    split: Split,
    args: argparse.Namespace,
    params: dict[str, Any],
    k_values: tuple[int, ...],
) -> dict[str, Any]:
    if system in RECBOLE_MODELS:
        workdir = Path(args.eval_dir) / "recbole" / f"{split.name}-{system}"
        log = Path(args.out) / f"{split.name}-{system}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        epochs = args.epochs
        best: dict[str, Any] | None = None
        common: dict[str, Any] = {"workdir": workdir, "k": max(k_values), "params": params}
        common.update({"k_values": k_values, "log": log})
        if args.early_stopping and args.stage == "test":
            # sequential models, unless --retrain: RecBole's own leave-one-out protocol, one
            # training run on train with early stopping on valid, whose best checkpoint ranks
            # the test stage from each user's train + valid items
            sequential = RECBOLE_MODELS[system] in SEQUENTIAL and not args.retrain
            best = run_recbole(
                split,
                system,
                stage="valid",
                epochs=epochs,
                early_stopping=True,
                test_after_valid=sequential,
                **common,
            )
            if sequential:
                return best
            epochs = int(best["best_epoch"])
        result = run_recbole(
            split,
            system,
            stage=args.stage,
            epochs=epochs,
            early_stopping=args.early_stopping and args.stage == "valid",
            **common,
        )
        if best is not None:
            result["valid"] = {
                "metrics": best["metrics"],
                "fit_seconds": best["fit_seconds"],
                "epochs_run": best["epochs_run"],
                "best_epoch": best["best_epoch"],
                "stopped_by_time_budget": best["stopped_by_time_budget"],
            }  # the early-stopping run's time stays here; "fit_seconds" is the final fit only
        return result
    assert factory is not None
    smoke_epochs = 1 if args.smoke else None
    model = build(factory, params, epochs=smoke_epochs if system.startswith("xingqu-") else None)
    return evaluate(
        model,
        split,
        k_values,
        stage=args.stage,
        name=system,
        progress=not args.quiet,
        full_ranking=args.full_ranking,
    )


def table(results: list[dict[str, Any]], title: str) -> Table:
    shown = [m for m in SHOWN if any(m in r["metrics"] for r in results)]
    out = Table(title=title)
    out.add_column("system")
    for metric in shown:
        out.add_column(metric, justify="right")
    out.add_column("fit s", justify="right")
    out.add_column("eval s", justify="right")
    for r in results:
        cells = [f"{r['metrics'][m]:.4f}" if m in r["metrics"] else "–" for m in shown]
        out.add_row(r["model"], *cells, f"{r['fit_seconds']:.1f}", f"{r['evaluate_seconds']:.1f}")
    return out


def ratio(results: list[dict[str, Any]], metric: str) -> dict[str, Any] | None:
    ours = [r for r in results if r["model"].startswith("xingqu-") and metric in r["metrics"]]
    peers = [r for r in results if not r["model"].startswith("xingqu-") and metric in r["metrics"]]
    if not ours or not peers:
        return None
    best_ours = max(ours, key=lambda r: r["metrics"][metric])
    best_peer = max(peers, key=lambda r: r["metrics"][metric])
    value = best_peer["metrics"][metric]
    return {
        "metric": metric,
        "xingqu": best_ours["model"],
        "xingqu_value": best_ours["metrics"][metric],
        "peer": best_peer["model"],
        "peer_value": value,
        "ratio": best_ours["metrics"][metric] / value if value else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", required=True, choices=sorted(SPLITS))
    parser.add_argument("--models", default=DEFAULT_MODELS)
    parser.add_argument(
        "--xingqu", default="auto", help="auto, none, or estimator names (ALSRecommender,...)"
    )
    parser.add_argument("--stage", choices=("test", "valid"), default="test")
    parser.add_argument("--k", default="10,20")
    parser.add_argument("--metric", default="ndcg@10")
    parser.add_argument(
        "--epochs", type=int, default=1, help="RecBole epochs (max epochs with --early-stopping)"
    )
    parser.add_argument("--early-stopping", action="store_true")
    parser.add_argument(
        "--retrain",
        action="store_true",
        help="sequential RecBole models: retrain on train + valid for the best epoch count "
        "(default: the early-stopped model ranks the test stage from train + valid sequences)",
    )
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument(
        "--full-ranking",
        action="store_true",
        help="also MRR without cut-off (in-process systems; slow)",
    )
    parser.add_argument(
        "--users", type=int, default=None, help="evaluate (and fit on) this many users only"
    )
    parser.add_argument("--eval-dir", default="var/eval")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    parser.add_argument("--set", action="append", default=[], metavar="SYSTEM.PARAM=VALUE")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    console = Console() if sys.stdout.isatty() else Console(width=200)
    k_values = tuple(sorted({int(v) for v in args.k.split(",")}))
    settings = parse_settings(args.set)

    split = load_split(args.dataset, eval_dir=Path(args.eval_dir))
    n_users = SMOKE_USERS if args.smoke and args.users is None else args.users
    if n_users is not None:
        split = restrict_users(split, sample_users(split, n_users))
    if args.smoke:
        args.epochs = 1

    systems: dict[str, Callable[..., Any] | None] = {}
    for name in [m.strip() for m in args.models.split(",") if m.strip()]:
        if name in IN_PROCESS:
            systems[name] = IN_PROCESS[name]
        elif name in RECBOLE_MODELS:
            if not recbole_available():
                console.print(
                    f"[yellow]skipping {name}: .venv-recbole is missing (bash bench/setup_recbole.sh)"
                )
                continue
            systems[name] = None
        else:
            raise SystemExit(
                f"unknown system {name!r}; known: {', '.join([*IN_PROCESS, *RECBOLE_MODELS])}"
            )
    if args.xingqu != "none":
        found = xingqu_systems(args.xingqu)
        if not found:
            console.print(
                "[yellow]xingqu.discovery.retrieval offers no estimator yet: no Xingqu column"
            )
        systems = {**found, **systems}

    started = time.perf_counter()
    results: list[dict[str, Any]] = []
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out_dir / f"{split.name}-{args.stage}{'-smoke' if args.smoke else ''}-{stamp}.json"

    def save(comparison: dict[str, Any] | None) -> None:
        """Written after every system, so a run cut short keeps what it measured."""
        payload = {
            "split": split.name,
            "split_sha256": split.meta.get("content_sha256"),
            "protocol": split.meta.get("protocol"),
            "stage": args.stage,
            "smoke": args.smoke,
            "users": n_users,
            "command": " ".join(sys.argv),
            "machine": {
                "python": platform.python_version(),
                "processor": platform.processor(),
                "cpus": os.cpu_count(),
            },
            "created": stamp,
            "seconds": round(time.perf_counter() - started, 1),
            "comparison": comparison,
            "results": results,
        }
        path.write_text(json.dumps(payload, indent=2, default=float) + "\n")

    for name, factory in systems.items():
        params = settings.get(name, {})  # Xingqu's are set as --set xingqu-als.factors=...
        console.print(f"[bold]{name}[/] on {split.name} ({args.stage}) …")
        try:
            results.append(run_system(name, factory, split, args, params, k_values))
        except Exception as exc:  # one failing system must not lose the others' results
            console.print(f"[red]{name} failed: {type(exc).__name__}: {exc}")
            results.append(
                {
                    "model": name,
                    "error": f"{type(exc).__name__}: {exc}",
                    "metrics": {},
                    "fit_seconds": 0.0,
                    "evaluate_seconds": 0.0,
                }
            )
        save(None)

    title = f"{split.name} — {args.stage}, {split.meta.get('protocol', '')}, full ranking, seen items excluded"
    console.print(table(results, title))
    comparison = ratio(results, args.metric)
    if comparison is not None:
        shown = (
            "n/a (the best peer scores 0)"
            if comparison["ratio"] is None
            else f"{comparison['ratio']:.3f}"
        )
        console.print(
            f"Xingqu best / best peer on {args.metric}: {comparison['xingqu']} {comparison['xingqu_value']:.4f}"
            f" / {comparison['peer']} {comparison['peer_value']:.4f} = {shown}"
        )
    save(comparison)
    console.print(f"wrote {path}")
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())

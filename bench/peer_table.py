"""The peer tables: one per dataset, from the result files bench/compare.py wrote.

usage: python bench/peer_table.py [--splits beauty,sports,ml100k,taobao,taobao-buy]
           [--results bench/results] [--metric ndcg@10] [--markdown]

bench/compare.py runs systems on a split and writes one JSON per run; slow peers (RecBole on
2 cores) run on their own, in the background (bench/run_peers.sh). This script gathers, per
split, the newest test-stage, full-data (not smoke, not --users) result of every system from
those files — every one of them scored on the same split files (the split's content hash must
match) by the same metric functions — and prints one table per split: each system's metrics,
training time and epochs, and the ratio of Xingqu's best pipeline to the best peer on
--metric against the goal (≥ 1.10, never below 1.00). It writes the tables as JSON next to
the results and, with --markdown, prints them as Markdown with the commands that made them.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

GOAL, FLOOR = 1.10, 1.00
COLUMNS = {
    "beauty": ("hr@10", "ndcg@10", "hr@20", "ndcg@20"),
    "sports": ("hr@10", "ndcg@10", "hr@20", "ndcg@20"),
    "ml100k": ("recall@10", "ndcg@10", "recall@20", "ndcg@20"),
    "taobao": ("hr@10", "recall@10", "ndcg@10", "recall@20", "ndcg@20"),
    "taobao-buy": ("hr@10", "recall@10", "ndcg@10", "recall@20", "ndcg@20"),
}


def gather(results: Path, split: str) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The newest full test-stage result of each system on `split`, and the commands used."""
    newest: dict[str, tuple[str, dict[str, Any], str]] = {}
    hashes: set[str] = set()
    for path in sorted(results.glob(f"{split}-test-*.json")):
        payload = json.loads(path.read_text())
        if payload.get("split") != split or payload.get("smoke") or payload.get("users"):
            continue
        for result in payload.get("results", []):
            if "error" in result or not result.get("metrics"):
                continue
            stamp = str(payload.get("created", path.stem))
            if result["model"] not in newest or stamp >= newest[result["model"]][0]:
                newest[result["model"]] = (stamp, result, str(payload.get("command", "")))
            if result.get("split_sha256"):
                hashes.add(result["split_sha256"])
    if len(hashes) > 1:
        raise SystemExit(f"{split}: results come from different split files ({len(hashes)})")
    commands = sorted({command for _, _, command in newest.values()})
    return {model: result for model, (_, result, _) in newest.items()}, commands


def ratio(systems: dict[str, dict[str, Any]], metric: str) -> dict[str, Any] | None:
    ours = {m: r for m, r in systems.items() if m.startswith("xingqu-")}
    peers = {m: r for m, r in systems.items() if not m.startswith("xingqu-")}
    if not ours or not peers:
        return None
    best_ours = max(ours, key=lambda m: ours[m]["metrics"].get(metric, 0.0))
    best_peer = max(peers, key=lambda m: peers[m]["metrics"].get(metric, 0.0))
    mine, theirs = ours[best_ours]["metrics"][metric], peers[best_peer]["metrics"][metric]
    value = mine / theirs if theirs else None
    verdict = (
        "no ratio: every peer scores 0"
        if value is None
        else "goal met"
        if value >= GOAL - 1e-9
        else "above the floor, below the goal"
        if value >= FLOOR
        else "goal not met"
    )
    return {
        "metric": metric,
        "xingqu": best_ours,
        "xingqu_value": mine,
        "peer": best_peer,
        "peer_value": theirs,
        "ratio": value,
        "verdict": verdict,
    }


def epochs(result: dict[str, Any]) -> str:
    """How a RecBole model's training went: epochs run on valid and why it stopped, and the
    epochs of the retrain on train + valid when there was one."""
    if "epochs_run" not in result:
        return ""
    params = result.get("hyper_parameters", {})
    valid = result.get("valid")
    if valid is None or params.get("test_after_valid"):  # one early-stopped run
        budget = " (time budget)" if result.get("stopped_by_time_budget") else ""
        cap = params.get("epochs")
        return f"best {result.get('best_epoch')} of {result['epochs_run']}{budget}, cap {cap}"
    budget = " (time budget)" if valid.get("stopped_by_time_budget") else ""
    return (
        f"valid: {valid['epochs_run']} epochs{budget} in {valid['fit_seconds']:.0f} s; "
        f"retrained {result['epochs_run']}"
    )


def rows(split: str, systems: dict[str, dict[str, Any]]) -> list[list[str]]:
    out = []
    order = sorted(systems, key=lambda m: (not m.startswith("xingqu-"), m))
    for model in order:
        result = systems[model]
        cells = [
            f"{result['metrics'][c]:.4f}" if c in result["metrics"] else "–" for c in COLUMNS[split]
        ]
        out.append([model, *cells, f"{result['fit_seconds']:.0f}", epochs(result)])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--splits", default="beauty,sports,ml100k,taobao,taobao-buy")
    parser.add_argument("--results", default=str(Path(__file__).resolve().parent / "results"))
    parser.add_argument("--metric", default="ndcg@10")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    results = Path(args.results)
    console = Console(width=200)
    tables: dict[str, Any] = {}
    for split in [s.strip() for s in args.splits.split(",") if s.strip()]:
        systems, commands = gather(results, split)
        if not systems:
            console.print(f"[yellow]{split}: no full test-stage results in {results}")
            continue
        header = ["system", *COLUMNS[split], "fit s", "epochs"]
        body = rows(split, systems)
        comparison = ratio(systems, args.metric)
        tables[split] = {"columns": header, "rows": body, "comparison": comparison}
        tables[split]["commands"] = commands
        if args.markdown:
            print(f"\n#### {split}\n")
            print("| " + " | ".join(header) + " |")
            print("|" + "---|" * len(header))
            for row in body:
                print("| " + " | ".join(row) + " |")
        else:
            table = Table(title=f"{split} — test stage")
            for name in header:
                table.add_column(name, justify="left" if name in ("system", "epochs") else "right")
            for row in body:
                table.add_row(*row)
            console.print(table)
        if comparison is not None:
            shown = "n/a" if comparison["ratio"] is None else f"{comparison['ratio']:.2f}"
            line = (
                f"Xingqu best / best peer on {args.metric}: {comparison['xingqu']} "
                f"{comparison['xingqu_value']:.4f} / {comparison['peer']} "
                f"{comparison['peer_value']:.4f} = {shown} ({comparison['verdict']})"
            )
            print(f"\n{line}\n" if args.markdown else line)
        if args.markdown:
            for command in commands:
                print(f"- `{command}`")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = results / f"peer-tables-{stamp}.json"
    path.write_text(json.dumps(tables, indent=2) + "\n")
    console.print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`xingqu evaluate` from the command line, and the peer tables gathered from result files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tests.discovery.evaluation.test_bench_peers import bench_module
from tests.discovery.evaluation.test_protocol import leave_one_out_split
from xingqu.cli.main import app
from xingqu.discovery.evaluation import split_files


def test_xingqu_evaluate_runs_named_estimators_on_split_files(eval_dir: Path) -> None:
    # given split files on disk under the name "beauty"
    split_files.write_split(leave_one_out_split(), eval_dir / "splits" / "beauty")
    # when
    result = CliRunner().invoke(
        app,
        ["evaluate", "beauty", "popularity", "--k", "1,2", "--eval-dir", str(eval_dir)],
    )
    # then
    assert result.exit_code == 0, result.output
    (path,) = (eval_dir / "results").glob("beauty-*.json")
    saved = json.loads(path.read_text())
    assert [(r["model"], r["stage"]) for r in saved["results"]] == [("popularity", "test")]
    assert set(saved["results"][0]["metrics"]) >= {"hr@1", "hr@2", "ndcg@2"}


def test_xingqu_evaluate_refuses_an_unknown_dataset_and_writes_nothing(eval_dir: Path) -> None:
    result = CliRunner().invoke(
        app, ["evaluate", "nope", "popularity", "--eval-dir", str(eval_dir)]
    )
    assert result.exit_code != 0
    assert "unknown dataset" in result.output
    assert not eval_dir.exists()


def _result(model: str, ndcg: float, **extra: Any) -> dict[str, Any]:
    return {
        "model": model,
        "metrics": {"hr@10": 2 * ndcg, "ndcg@10": ndcg},
        "fit_seconds": 12.0,
        "split_sha256": "abc",
        **extra,
    }


def _write(folder: Path, name: str, results: list[dict[str, Any]], **payload: Any) -> None:
    body = {"split": "beauty", "smoke": False, "users": None, "command": f"run {name}"}
    body.update(payload)
    (folder / f"beauty-test-{name}.json").write_text(json.dumps({**body, "results": results}))


def test_peer_table_takes_each_systems_newest_full_result_and_rates_xingqu(
    tmp_path: Path,
) -> None:
    # given an old and a new run of the peers, a smoke run (ignored), and Xingqu's run
    peer_table = bench_module("peer_table")
    _write(tmp_path, "1", [_result("transition", 0.05)], created="20260101T000000Z")
    _write(tmp_path, "2", [_result("transition", 0.04)], created="20260102T000000Z")
    _write(tmp_path, "3", [_result("als", 0.9)], created="20260103T000000Z", smoke=True)
    sasrec = _result(
        "recbole-sasrec", 0.02, epochs_run=3, best_epoch=2, stopped_by_time_budget=True
    )
    sasrec["hyper_parameters"] = {"epochs": 20}
    _write(
        tmp_path,
        "4",
        [_result("xingqu-blend", 0.046), sasrec],
        created="20260104T000000Z",
    )
    # when
    systems, commands = peer_table.gather(tmp_path, "beauty")
    comparison = peer_table.ratio(systems, "ndcg@10")
    rows = peer_table.rows("beauty", systems)
    # then the newest transition run counts, the smoke run does not
    assert sorted(systems) == ["recbole-sasrec", "transition", "xingqu-blend"]
    assert systems["transition"]["metrics"]["ndcg@10"] == 0.04
    assert commands == ["run 2", "run 4"]
    assert comparison is not None
    assert (comparison["xingqu"], comparison["peer"]) == ("xingqu-blend", "transition")
    assert round(comparison["ratio"], 3) == 1.15 and comparison["verdict"] == "goal met"
    assert rows[0][0] == "xingqu-blend"
    assert rows[1] == [
        "recbole-sasrec",
        "0.0400",
        "0.0200",
        "–",
        "–",
        "12",
        "best 2 of 3 (time budget), cap 20",
    ]


def test_peer_table_says_when_the_goal_or_the_floor_is_missed() -> None:
    peer_table = bench_module("peer_table")
    below = {"xingqu-a": _result("xingqu-a", 0.0999), "als": _result("als", 0.1)}
    between = {"xingqu-a": _result("xingqu-a", 0.105), "als": _result("als", 0.1)}
    nothing = {"xingqu-a": _result("xingqu-a", 0.0), "als": _result("als", 0.0)}
    assert peer_table.ratio(below, "ndcg@10")["verdict"] == "goal not met"
    assert peer_table.ratio(between, "ndcg@10")["verdict"] == "above the floor, below the goal"
    assert peer_table.ratio(nothing, "ndcg@10")["ratio"] is None

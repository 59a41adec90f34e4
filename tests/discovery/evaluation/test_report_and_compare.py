"""`run` (what `xingqu evaluate` calls) on written split files, and the peer harness's smoke mode."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from rich.console import Console

from tests.discovery.evaluation.shared_data import require_dataset
from tests.discovery.evaluation.test_protocol import FixedLists, leave_one_out_split
from xingqu.discovery.evaluation import report, split_files
from xingqu.shared.clock import ManualClock

ROOT = Path(__file__).resolve().parents[3]


def test_run_evaluates_each_model_and_stage_and_writes_json(eval_dir: Path) -> None:
    # given split files already on disk under the name "beauty"
    split_files.write_split(leave_one_out_split(), eval_dir / "splits" / "beauty")
    lists = {0: [3, 2, 4], 1: [5, 4, 2], 2: [1, 0, 4]}
    clock = ManualClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    console = Console(record=True, width=200)
    # when
    written = report.run(
        "beauty",
        {"fixed": lambda: FixedLists(lists)},
        stages=("valid", "test"),
        k_values=(1, 2),
        eval_dir=eval_dir,
        progress=False,
        console=console,
        clock=clock,
    )
    # then
    path = eval_dir / "results" / "beauty-20260301T120000Z.json"
    assert written["path"] == str(path)
    saved = json.loads(path.read_text())
    assert [(r["model"], r["stage"]) for r in saved["results"]] == [
        ("fixed", "valid"),
        ("fixed", "test"),
    ]
    # valid targets 2, 4, 0 are each second once train items are excluded; test targets 3, 5, 1
    # are first once train + valid items are excluded
    assert (saved["results"][0]["metrics"]["hr@1"], saved["results"][0]["metrics"]["hr@2"]) == (
        0.0,
        1.0,
    )
    assert saved["results"][1]["metrics"]["hr@1"] == 1.0
    assert (
        saved["split_sha256"]
        == json.loads((eval_dir / "splits" / "beauty" / "meta.json").read_text())["content_sha256"]
    )
    printed = console.export_text()
    assert "fixed" in printed and "hr@2" in printed


def test_compare_smoke_runs_the_peers_on_the_shared_split(tmp_path: Path) -> None:
    # given
    require_dataset("ml100k")
    models = "popularity,transition"
    try:
        import implicit  # noqa: F401

        models += ",als"
    except ImportError:
        pass
    out = tmp_path / "results"
    # when
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "compare.py"),
            "--dataset",
            "ml100k",
            "--smoke",
            "--models",
            models,
            "--xingqu",
            "none",
            "--eval-dir",
            str(tmp_path / "eval"),
            "--out",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    # then
    assert done.returncode == 0, done.stdout + done.stderr
    (path,) = out.glob("ml100k-test-smoke-*.json")
    saved = json.loads(path.read_text())
    assert saved["smoke"] is True and saved["users"] == 300
    assert [r["model"] for r in saved["results"]] == models.split(",")
    for result in saved["results"]:
        assert result["users"] == 300
        assert 0.0 <= result["metrics"]["ndcg@10"] <= result["metrics"]["hr@10"] <= 1.0
        assert result["metrics"]["seen_recommended"] == 0.0
    by_name = {r["model"]: r["metrics"] for r in saved["results"]}
    # every user's lists are distinct per user for transition, one list for popularity
    assert by_name["popularity"]["coverage@20"] < by_name["transition"]["coverage@20"]
    assert np.isfinite(by_name["popularity"]["novelty@20"])
    assert "ml100k" in done.stdout

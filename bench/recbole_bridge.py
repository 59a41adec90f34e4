"""Run a RecBole model on one of our splits, in .venv-recbole, and score its lists with our metrics.

`run_recbole(split, model, stage=...)` writes RecBole atomic benchmark files from the split
(`<workdir>/<name>/<name>.{train,valid,test}.inter`; train = the stage's fit data, valid and
test = the stage's targets), runs bench/recbole_peer.py in .venv-recbole, reads back its top-K
lists and impression scores, and reports them with `ranking_report` / `impression_report` —
the same functions, users, exclusions and targets as every other system.

Sequential models (SASRec, GRU4Rec) get RecBole's "pre-augmented" benchmark format: each train
row is (user, next item, the up-to-`max_length` items before it), and each target row carries
the user's last `max_length` items of the fit data.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from xingqu.discovery.evaluation.protocol import impression_report, ranking_report
from xingqu.discovery.evaluation.splits import Impressions, Split, Stage
from xingqu.discovery.interactions import Interactions

ROOT = Path(__file__).resolve().parent.parent
RECBOLE_PYTHON = ROOT / ".venv-recbole" / "bin" / "python"
RECBOLE_MODELS = {
    "recbole-bpr": "BPR",
    "recbole-lightgcn": "LightGCN",
    "recbole-sasrec": "SASRec",
    "recbole-gru4rec": "GRU4Rec",
}
SEQUENTIAL = {"SASRec", "GRU4Rec"}
MAX_LENGTH = 50


class RecBoleUnavailable(RuntimeError):
    pass


def recbole_available() -> bool:
    return RECBOLE_PYTHON.is_file()


def _sequences(data: Interactions, max_length: int) -> list[np.ndarray]:
    return [s[-max_length:] if len(s) else s for s in data.sequences()]


def _tokens(values: np.ndarray) -> str:
    return " ".join(str(v) for v in values.tolist())


def write_atomic(
    path: Path, rows: list[tuple[int, int, int, str | None]], sequential: bool
) -> None:
    header = "user_id:token\titem_id:token\ttimestamp:float" + (
        "\titem_id_list:token_seq" if sequential else ""
    )
    with path.open("w") as out:
        out.write(header + "\n")
        for user, item, timestamp, history in rows:
            line = f"{user}\t{item}\t{timestamp}"
            out.write(line + (f"\t{history}\n" if sequential else "\n"))


def _train_rows(
    fit: Interactions, sequential: bool, max_length: int
) -> list[tuple[int, int, int, str | None]]:
    order = fit.time_order()
    users, items = fit.user_ids[order], fit.item_ids[order]
    stamps = fit.timestamps[order] if fit.timestamps is not None else np.arange(len(fit))
    if not sequential:
        return [
            (u, i, t, None)
            for u, i, t in zip(users.tolist(), items.tolist(), stamps.tolist(), strict=True)
        ]
    rows: list[tuple[int, int, int, str | None]] = []
    starts = np.r_[0, np.flatnonzero(users[1:] != users[:-1]) + 1, len(users)]
    for a, b in zip(starts[:-1].tolist(), starts[1:].tolist(), strict=True):
        for t in range(a + 1, b):
            rows.append(
                (
                    int(users[t]),
                    int(items[t]),
                    int(stamps[t]),
                    _tokens(items[max(a, t - max_length) : t]),
                )
            )
    return rows


def _target_rows(
    targets: Interactions, sequences: list[np.ndarray], sequential: bool
) -> list[tuple[int, int, int, str | None]]:
    rows: list[tuple[int, int, int, str | None]] = []
    stamps = (
        targets.timestamps if targets.timestamps is not None else np.zeros(len(targets), np.int64)
    )
    for u, i, t in zip(
        targets.user_ids.tolist(), targets.item_ids.tolist(), stamps.tolist(), strict=True
    ):
        if sequential:
            if len(sequences[u]) == 0:
                continue  # RecBole cannot read an empty list; the row only feeds its early stopping
            rows.append((u, i, t, _tokens(sequences[u])))
        else:
            rows.append((u, i, t, None))
    return rows


def _stage_inputs(
    split: Split, stage: Stage, users: np.ndarray | None, path: Path, max_length: int
) -> tuple[Interactions, Interactions, np.ndarray, Impressions | None]:
    """Write what RecBole's side needs to rank for `stage` (the users with a target, their
    fit history to exclude, their last items for sequential models, the impression pairs to
    score) into `path`; return (fit data, targets, evaluated users, impressions)."""
    fit = split.fit_data(stage)
    targets = split.targets(stage)
    evaluated = np.unique(targets.user_ids)
    if users is not None:
        evaluated = np.intersect1d(evaluated, users)
        targets = targets.subset(np.isin(targets.user_ids, evaluated))
    impressions = split.impressions.get(stage)
    if impressions is not None and users is not None:
        keep = np.isin(impressions.user_ids, users)
        impressions = Impressions(
            impressions.user_ids[keep],
            impressions.item_ids[keep],
            impressions.click[keep],
            impressions.buy[keep],
        )
    imp_users = impressions.user_ids if impressions is not None else np.zeros(0, np.int64)
    imp_items = impressions.item_ids if impressions is not None else np.zeros(0, np.int64)
    sequences = _sequences(fit, max_length)
    history = fit.to_csr(binary=True)[evaluated]
    sequence_users = np.union1d(evaluated, imp_users)
    padded = np.full((len(sequence_users), max_length), -1, dtype=np.int64)
    lengths = np.zeros(len(sequence_users), dtype=np.int64)
    for row, u in enumerate(sequence_users.tolist()):
        s = sequences[u]
        padded[row, : len(s)] = s
        lengths[row] = len(s)
    np.savez(
        path,
        users=evaluated,
        history_indptr=history.indptr.astype(np.int64),
        history_indices=history.indices.astype(np.int64),
        sequence_users=sequence_users,
        sequences=padded,
        sequence_lengths=lengths,
        impression_users=imp_users,
        impression_items=imp_items,
    )
    return fit, targets, evaluated, impressions


def _stage_report(
    workdir: Path,
    suffix: str,
    fit: Interactions,
    targets: Interactions,
    evaluated: np.ndarray,
    impressions: Impressions | None,
    k_values: tuple[int, ...],
) -> dict[str, float]:
    """Our metrics of the lists (and impression scores) RecBole's side wrote for one stage."""
    top = np.load(workdir / f"topk{suffix}.npy")
    report = ranking_report(top, evaluated, targets, fit, k_values)
    if impressions is not None:
        scores = np.load(workdir / f"impression_scores{suffix}.npy")
        finite = np.isfinite(scores)
        floor = scores[finite].min() - 1.0 if finite.any() else 0.0
        report.update(impression_report(np.where(finite, scores, floor), impressions))
    return report


def run_recbole(
    split: Split,
    system: str,
    *,
    stage: Stage,
    epochs: int,
    early_stopping: bool,
    workdir: Path,
    k: int = 20,
    users: np.ndarray | None = None,
    params: dict[str, Any] | None = None,
    k_values: tuple[int, ...] = (10, 20),
    timeout: float | None = None,
    log: Path | None = None,
    test_after_valid: bool = False,
) -> dict[str, Any]:
    """Train RecBole's `system` (a key of RECBOLE_MODELS) for `stage` and report like `evaluate`.

    `test_after_valid` (with stage "valid" and early stopping, for sequential models): the
    model trained on train with early stopping on valid also ranks the test stage, reading each
    user's train + valid items as its input sequence, which is RecBole's own leave-one-out
    protocol for sequential models (one training run instead of two). The result then reports
    the test stage, with the validation scores under "valid"."""
    if not recbole_available():
        raise RecBoleUnavailable(f"{RECBOLE_PYTHON} is missing: run bash bench/setup_recbole.sh")
    model = RECBOLE_MODELS[system]
    sequential = model in SEQUENTIAL
    if test_after_valid and (stage != "valid" or not early_stopping or not sequential):
        raise ValueError("test_after_valid is for sequential models trained on the valid stage")
    params = dict(params or {})
    max_length = int(params.pop("max_length", MAX_LENGTH))  # RecBole's MAX_ITEM_LIST_LENGTH
    workdir = workdir.resolve()
    name = f"{split.name.replace('-', '_')}_{stage}"
    if workdir.exists():
        shutil.rmtree(workdir)
    data_dir = workdir / name
    data_dir.mkdir(parents=True)
    fit, targets, evaluated, impressions = _stage_inputs(
        split, stage, users, workdir / "inputs.npz", max_length
    )
    sequences = _sequences(fit, max_length)
    write_atomic(
        data_dir / f"{name}.train.inter", _train_rows(fit, sequential, max_length), sequential
    )
    target_rows = _target_rows(targets, sequences, sequential)
    write_atomic(data_dir / f"{name}.valid.inter", target_rows, sequential)
    write_atomic(data_dir / f"{name}.test.inter", target_rows, sequential)
    if test_after_valid:
        test_inputs = _stage_inputs(split, "test", users, workdir / "inputs_test.npz", max_length)
    job = {
        "model": model,
        "name": name,
        "epochs": epochs,
        "early_stopping": early_stopping,
        "n_items": split.n_items,
        "k": k,
        "seed": 2024,
        "max_length": max_length,
        "params": params,
    }
    (workdir / "job.json").write_text(json.dumps(job, indent=2))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    with (log or workdir / "recbole.log").open("a") as out:
        subprocess.run(
            [str(RECBOLE_PYTHON), str(ROOT / "bench" / "recbole_peer.py"), str(workdir)],
            check=True,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            timeout=timeout,
            cwd=workdir,
        )
    result = json.loads((workdir / "result.json").read_text())
    report = _stage_report(workdir, "", fit, targets, evaluated, impressions, k_values)
    reported_stage: Stage = stage
    valid: dict[str, Any] | None = None
    if test_after_valid:
        valid = {
            "metrics": report,
            "fit_seconds": round(result["train_seconds"], 3),
            "epochs_run": result["epochs_run"],
        }
        fit, targets, evaluated, impressions = test_inputs
        report = _stage_report(workdir, "_test", fit, targets, evaluated, impressions, k_values)
        reported_stage = "test"
    out: dict[str, Any] = {
        "model": system,
        "hyper_parameters": {
            "epochs": epochs,
            "early_stopping": early_stopping,
            "max_length": max_length,
            "test_after_valid": test_after_valid,
            **params,
        },
        "split": split.name,
        "split_sha256": split.meta.get("content_sha256"),
        "stage": reported_stage,
        "users": len(evaluated),
        "targets": len(np.unique(targets.user_ids * split.n_items + targets.item_ids)),
        "fit_seconds": round(result["train_seconds"], 3),
        "evaluate_seconds": round(result["predict_seconds"], 3),
        "epochs_run": result["epochs_run"],
        "best_epoch": result["best_epoch"],
        "valid_ndcg10_by_epoch": result.get("valid_ndcg10_by_epoch", []),
        "stopped_by_time_budget": result.get("stopped_by_time_budget", False),
        "metrics": report,
    }
    if valid is not None:
        out["valid"] = valid
    return out

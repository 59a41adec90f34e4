"""Train one RecBole model on our split files and write its top-K lists (runs in .venv-recbole).

usage: .venv-recbole/bin/python bench/recbole_peer.py WORKDIR
WORKDIR (written by bench/recbole_bridge.py) holds `job.json`, the atomic benchmark files
`<name>/<name>.{train,valid,test}.inter` and `inputs.npz` (the users to rank, their history
for exclusion, their last items for sequential models, and impression pairs to score).

RecBole trains on the `train` file. With `early_stopping` in the job (our `valid` stage) it
evaluates the `valid` file after every epoch with its own full-sort NDCG@10, stops after
`stopping_step` epochs without improvement and reloads the best checkpoint; otherwise it
trains exactly `epochs` epochs (our `test` stage, with the epoch count found on valid). The
lists are then made here, not by RecBole's evaluator: `full_sort_predict` scores every item,
the user's history is masked, and the top K go back to bench/compare.py, which scores them with
xingqu's metric functions, exactly as it scores every other system. When WORKDIR also holds
`inputs_test.npz` (sequential models, RecBole's leave-one-out protocol), the same early-stopped
model also writes `topk_test.npy` / `impression_scores_test.npy` from the test stage's inputs.
A `time_budget` (seconds) in the job's params stops training after the first epoch that ends
past it; the best checkpoint so far is used, and result.json says so.

This file must not import xingqu: that package needs NumPy 2 and this environment cannot have it.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

_original_load = torch.load


def _load_own_checkpoint(*args: Any, **kwargs: Any) -> Any:
    """torch >= 2.6 loads with weights_only=True, which refuses RecBole's own checkpoints
    (they hold its Config object). They are files this run just wrote, so trust them."""
    kwargs.setdefault("weights_only", False)
    return _original_load(*args, **kwargs)


torch.load = _load_own_checkpoint  # type: ignore[assignment]

from recbole.config import Config  # noqa: E402
from recbole.data import create_dataset, data_preparation  # noqa: E402
from recbole.data.interaction import Interaction  # noqa: E402
from recbole.utils import get_model, get_trainer, init_logger, init_seed  # noqa: E402

SEQUENTIAL = {"SASRec", "GRU4Rec"}


class _OutOfTime(Exception):
    """Raised from the epoch callback when the job's `time_budget` is spent."""


def config_for(job: dict[str, Any], workdir: Path) -> Config:
    model = job["model"]
    sequential = model in SEQUENTIAL
    columns = ["user_id", "item_id", "timestamp"] + (["item_id_list"] if sequential else [])
    settings: dict[str, Any] = {
        "data_path": str(workdir),
        "dataset": job["name"],
        "benchmark_filename": ["train", "valid", "test"],
        "load_col": {"inter": columns},
        "USER_ID_FIELD": "user_id",
        "ITEM_ID_FIELD": "item_id",
        "TIME_FIELD": "timestamp",
        "MAX_ITEM_LIST_LENGTH": job["max_length"],
        "user_inter_num_interval": None,
        "item_inter_num_interval": None,
        "epochs": job["epochs"],
        "stopping_step": job.get("stopping_step", 3),
        "eval_step": 1,
        "train_batch_size": job.get("train_batch_size", 2048),
        "eval_batch_size": 4096,
        "learning_rate": job.get("learning_rate", 1e-3),
        "embedding_size": job.get("embedding_size", 64),
        "hidden_size": job.get("embedding_size", 64),
        "eval_args": {"order": "TO", "mode": "full", "group_by": "user"},
        "metrics": ["Recall", "NDCG", "Hit", "MRR"],
        "topk": [10],
        "valid_metric": "NDCG@10",
        "device": "cpu",
        "use_gpu": False,
        "seed": job["seed"],
        "reproducibility": True,
        "checkpoint_dir": str(workdir / "saved"),
        "show_progress": False,
        "state": "INFO",
        "worker": 0,
    }
    if sequential:
        # without this alias RecBole numbers the tokens of item_id_list on their own, so the
        # input items and the predicted items would not share one vocabulary
        settings["alias_of_item_id"] = ["item_id_list"]
        settings["loss_type"] = "CE"
        settings["train_neg_sample_args"] = None
    settings.update({k: v for k, v in job.get("params", {}).items() if k != "time_budget"})
    return Config(model=model, config_dict=settings)


def ours(dataset: Any, field: str) -> np.ndarray:
    """RecBole internal id → our dense index (-1 for its padding token)."""
    tokens = dataset.field2id_token[field]
    return np.asarray([int(t) if t.isdigit() else -1 for t in tokens], dtype=np.int64)


def main(workdir: Path) -> None:
    job = json.loads((workdir / "job.json").read_text())
    threads = int(job["params"].pop("threads", job.get("threads", 1)))
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    config = config_for(job, workdir)
    init_seed(config["seed"], config["reproducibility"])
    init_logger(config)  # epoch losses and validation scores: stdout (the run's log) and ./log/
    logging.getLogger("recbole").setLevel(logging.INFO)
    dataset = create_dataset(config)
    train_data, valid_data, _ = data_preparation(config, dataset)
    model = get_model(config["model"])(config, train_data._dataset).to(config["device"])
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)
    scores_by_epoch: list[float] = []
    budget = job["params"].get("time_budget")  # seconds of training, checked after each epoch
    stopped_by_budget = False

    def remember(epoch: int, score: float) -> None:
        nonlocal stopped_by_budget
        scores_by_epoch.append(float(score))
        elapsed = time.perf_counter() - started
        print(f"epoch {epoch + 1}: valid ndcg@10 {score:.4f} ({elapsed:.0f} s)", flush=True)
        if budget is not None and elapsed > float(budget):
            stopped_by_budget = True
            raise _OutOfTime

    started = time.perf_counter()
    if job["early_stopping"]:
        try:
            trainer.fit(
                train_data, valid_data, saved=True, show_progress=False, callback_fn=remember
            )
        except _OutOfTime:
            print(f"stopped: the time budget of {budget} s is spent", flush=True)
        checkpoint = torch.load(trainer.saved_model_file, map_location="cpu")
        model.load_state_dict(checkpoint["state_dict"])
    else:
        trainer.fit(train_data, None, saved=False, show_progress=False)
    train_seconds = time.perf_counter() - started
    model.eval()

    started = time.perf_counter()
    rank(model, dataset, job, np.load(workdir / "inputs.npz"), workdir, "")
    if (workdir / "inputs_test.npz").is_file():  # the same model also ranks the test stage
        rank(model, dataset, job, np.load(workdir / "inputs_test.npz"), workdir, "_test")
    predict_seconds = time.perf_counter() - started
    best_epoch = int(np.argmax(scores_by_epoch)) + 1 if scores_by_epoch else int(job["epochs"])
    (workdir / "result.json").write_text(
        json.dumps(
            {
                "train_seconds": train_seconds,
                "predict_seconds": predict_seconds,
                "epochs_run": len(scores_by_epoch) if scores_by_epoch else int(job["epochs"]),
                "best_epoch": best_epoch,
                "valid_ndcg10_by_epoch": scores_by_epoch,
                "stopped_by_time_budget": stopped_by_budget,
            },
            indent=2,
        )
    )


def rank(
    model: Any, dataset: Any, job: dict[str, Any], inputs: Any, workdir: Path, suffix: str
) -> None:
    """Write `topk<suffix>.npy` (each input user's top K, history masked) and
    `impression_scores<suffix>.npy` for one inputs file."""
    item_of = ours(dataset, "item_id")
    n_items = int(job["n_items"])
    known = item_of >= 0
    user_ids = inputs["users"]
    indptr, indices = inputs["history_indptr"], inputs["history_indices"]
    k = int(job["k"])
    top = np.full((len(user_ids), k), -1, dtype=np.int64)
    imp_users, imp_items = inputs["impression_users"], inputs["impression_items"]
    imp_scores = np.full(len(imp_users), -np.inf, dtype=np.float64)
    imp_row: dict[int, list[int]] = {u: [] for u in np.unique(imp_users).tolist()}
    for index, user in enumerate(imp_users.tolist()):
        imp_row[user].append(index)
    rank_users = np.union1d(user_ids, imp_users)
    position = {u: i for i, u in enumerate(user_ids.tolist())}
    batch = int(job.get("predict_batch", 256))
    for start in range(0, len(rank_users), batch):
        users = rank_users[start : start + batch]
        with torch.no_grad():
            raw = predict(model, dataset, job, inputs, users).cpu().numpy().astype(np.float64)
        scores = np.full((len(users), n_items), -np.inf, dtype=np.float64)
        scores[:, item_of[known]] = raw[:, known]
        for row, user in enumerate(users.tolist()):
            for index in imp_row.get(user, []):
                imp_scores[index] = scores[row, imp_items[index]]
            if user not in position:
                continue
            u = position[user]
            scores[row, indices[indptr[u] : indptr[u + 1]]] = -np.inf
            best = np.argpartition(-scores[row], k - 1)[:k] if k < n_items else np.arange(n_items)
            best = best[np.argsort(-scores[row, best], kind="stable")]
            best = best[np.isfinite(scores[row, best])]
            top[u, : len(best)] = best
    np.save(workdir / f"topk{suffix}.npy", top)
    np.save(workdir / f"impression_scores{suffix}.npy", imp_scores)


def predict(model: Any, dataset: Any, job: dict[str, Any], inputs: Any, users: np.ndarray) -> Any:
    """Scores of every RecBole item for our `users` (rows), through `full_sort_predict`."""
    n = len(users)
    if job["model"] in SEQUENTIAL:
        order = np.searchsorted(inputs["sequence_users"], users)
        sequences = inputs["sequences"][order]  # our item indices, left-aligned, -1 pads
        lengths = inputs["sequence_lengths"][order]
        rb = np.zeros_like(sequences)
        filled = sequences >= 0
        rb[filled] = dataset.token2id("item_id", sequences[filled].astype(str))
        lengths = np.maximum(lengths, 1)  # an empty history reads its padding token
        fields = {
            "item_id_list": torch.as_tensor(rb, dtype=torch.long),
            "item_length": torch.as_tensor(lengths, dtype=torch.long),
        }
    else:
        # a user RecBole never saw (no row in any file) reads its padding row, 0
        known = dataset.field2token_id["user_id"]
        internal = [known.get(str(u), 0) for u in users.tolist()]
        fields = {"user_id": torch.as_tensor(internal, dtype=torch.long)}
    return model.full_sort_predict(Interaction(fields)).view(n, -1)


if __name__ == "__main__":
    main(Path(sys.argv[1]))

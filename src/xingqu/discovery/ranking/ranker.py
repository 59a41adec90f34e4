"""The multi-task ranker: four gradient-boosted heads over the `features.FEATURES` matrix.

Heads (each a LightGBM booster, or a constant prior when its data cannot teach one):
- `click`: p(click) on every impression;
- `buy`: p(buy | click), trained on the clicked impressions only;
- `refund`: p(refund | buy), trained on the bought impressions only;
- `watch`: expected watch seconds, an L2 regression on every impression (clipped at 0).

The conditional heads are trained where their condition holds (the ESMM funnel without the
shared network), so `p_click × p_buy_given_click` is the probability of a purchase from an
impression. A binary head with fewer than `min_head_positives` positives or negatives among its
rows, and a watch head with fewer than `min_head_positives` non-zero targets, are not trained:
they predict the Laplace-smoothed share of positives (`(positives + 1) / (rows + 2)`; the mean
watch time) and `fallbacks_` says why.

Estimator style (see `retrieval.base`): `__init__` stores keyword-only hyper-parameters,
`fit(X, labels) -> self`, learned state ends in `_`. `save(folder)` writes `params.json` and one
LightGBM text model per trained head (`head_<name>.txt`); nothing is pickled. LightGBM runs with
one thread in deterministic mode, so the same data and seed give the same model.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import lightgbm as lgb
import numpy as np
import numpy.typing as npt

from xingqu.discovery.ranking.features import FEATURES

FloatVector = npt.NDArray[np.float32]
IntVector = npt.NDArray[np.int8]

HEADS: tuple[str, ...] = ("click", "buy", "refund", "watch")
"""Head names, in the order of `Heads`' fields."""

FORMAT_VERSION = 1
PARAMS_FILE = "params.json"


class NotFittedError(RuntimeError):
    """The ranker was asked for something that needs `fit` (or `load`) first."""


@dataclass(frozen=True)
class Labels:
    """Per-impression outcomes: `click`, `buy`, `refund` are 0/1, `watch_s` seconds watched.
    A buy without a click, or a refund without a buy, is a ValueError."""

    click: npt.ArrayLike
    buy: npt.ArrayLike
    refund: npt.ArrayLike
    watch_s: npt.ArrayLike

    def checked(self, n: int) -> tuple[IntVector, IntVector, IntVector, FloatVector]:
        """The four columns as arrays of `n` rows, after checking the funnel holds."""
        binaries = []
        for name in ("click", "buy", "refund"):
            column = np.asarray(getattr(self, name))
            if column.shape != (n,):
                raise ValueError(f"labels.{name} has shape {column.shape}, expected ({n},)")
            if not np.isin(column, (0, 1)).all():
                raise ValueError(f"labels.{name} must hold only 0 and 1")
            binaries.append(column.astype(np.int8))
        click, buy, refund = binaries
        watch = np.asarray(self.watch_s, dtype=np.float64)
        if watch.shape != (n,):
            raise ValueError(f"labels.watch_s has shape {watch.shape}, expected ({n},)")
        if not np.isfinite(watch).all() or (watch < 0).any():
            raise ValueError("labels.watch_s must be finite and non-negative")
        if (buy > click).any():
            raise ValueError("a buy without a click: buy is only defined on clicked rows")
        if (refund > buy).any():
            raise ValueError("a refund without a buy: refund is only defined on bought rows")
        return click, buy, refund, watch.astype(np.float32)


@dataclass(frozen=True)
class Heads:
    """The ranker's predictions, one float32 array per head, aligned with the input rows."""

    p_click: FloatVector
    p_buy_given_click: FloatVector
    p_refund_given_buy: FloatVector
    watch_s: FloatVector

    def __len__(self) -> int:
        return len(self.p_click)


class MultiTaskRanker:
    """Four LightGBM heads: p(click), p(buy | click), p(refund | buy), watch seconds."""

    def __init__(
        self,
        *,
        n_estimators: int = 200,
        learning_rate: float = 0.05,
        num_leaves: int = 31,
        min_child_samples: int = 20,
        l2_regularization: float = 1.0,
        feature_fraction: float = 1.0,
        min_head_positives: int = 5,
        seed: int = 0,
        feature_names: Sequence[str] | None = None,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.l2_regularization = l2_regularization
        self.feature_fraction = feature_fraction
        self.min_head_positives = min_head_positives
        self.seed = seed
        self.feature_names = feature_names
        """Column names of X; None means `features.FEATURES` (a dataset with its own columns
        passes its own names)."""

    # --- hyper-parameters ---------------------------------------------------------------------

    def get_params(self) -> dict[str, Any]:
        names = list(self.feature_names) if self.feature_names is not None else None
        return {
            "n_estimators": self.n_estimators,
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_child_samples": self.min_child_samples,
            "l2_regularization": self.l2_regularization,
            "feature_fraction": self.feature_fraction,
            "min_head_positives": self.min_head_positives,
            "seed": self.seed,
            "feature_names": names,
        }

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    @property
    def columns(self) -> tuple[str, ...]:
        """The column names X must have, in order."""
        return tuple(self.feature_names) if self.feature_names is not None else FEATURES

    def _booster_params(self, objective: str) -> dict[str, Any]:
        return {
            "objective": objective,
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_child_samples,
            "lambda_l2": self.l2_regularization,
            "feature_fraction": self.feature_fraction,
            "feature_fraction_seed": self.seed,
            "seed": self.seed,
            "num_threads": 1,
            "deterministic": True,
            "force_row_wise": True,
            "verbosity": -1,
        }

    # --- fit / predict ------------------------------------------------------------------------

    def fit(self, X: npt.ArrayLike, labels: Labels) -> Self:
        """Train the four heads on the impressions `X` (n × len(columns)) and their `labels`."""
        matrix = self._check_matrix(X, fitted=False)
        click, buy, refund, watch = labels.checked(len(matrix))
        clicked = click == 1
        bought = buy == 1
        names = list(self.columns)
        self.boosters_: dict[str, lgb.Booster] = {}
        self.priors_: dict[str, float] = {}
        self.fallbacks_: dict[str, str] = {}
        self.head_rows_: dict[str, int] = {}
        plans: list[tuple[str, npt.NDArray[np.bool_], np.ndarray, str]] = [
            ("click", np.ones(len(matrix), dtype=bool), click, "binary"),
            ("buy", clicked, buy, "binary"),
            ("refund", bought, refund, "binary"),
            ("watch", np.ones(len(matrix), dtype=bool), watch, "regression"),
        ]
        for head, rows, target, objective in plans:
            y = target[rows]
            self.head_rows_[head] = len(y)
            reason = self._too_few(head, y, objective)
            if objective == "binary":
                self.priors_[head] = (float(y.sum()) + 1.0) / (len(y) + 2.0)
            else:
                self.priors_[head] = float(y.mean()) if len(y) else 0.0
            if reason is not None:
                self.fallbacks_[head] = reason
                continue
            data = lgb.Dataset(
                matrix[rows],
                label=y.astype(np.float64),
                feature_name=names,
                params={"verbosity": -1, "num_threads": 1},
                free_raw_data=True,
            )
            self.boosters_[head] = lgb.train(
                self._booster_params(objective), data, num_boost_round=self.n_estimators
            )
        self.n_features_ = len(names)
        return self

    def _too_few(self, head: str, y: np.ndarray, objective: str) -> str | None:
        need = self.min_head_positives
        if objective == "binary":
            positives = int(y.sum())
            negatives = len(y) - positives
            if positives < need or negatives < need:
                return (
                    f"{head}: {positives} positives and {negatives} negatives in {len(y)} rows "
                    f"(need {need} of each): constant prior"
                )
            return None
        non_zero = int((y > 0).sum())
        if non_zero < need:
            return f"{head}: {non_zero} non-zero targets (need {need}): constant mean"
        return None

    def predict(self, X: npt.ArrayLike) -> Heads:
        """The four heads for each row of `X`."""
        matrix = self._check_matrix(X, fitted=True)
        out = {head: self._predict_head(head, matrix) for head in HEADS}
        return Heads(
            p_click=out["click"],
            p_buy_given_click=out["buy"],
            p_refund_given_buy=out["refund"],
            watch_s=np.maximum(out["watch"], np.float32(0.0)),
        )

    def _predict_head(self, head: str, matrix: FloatVector) -> FloatVector:
        booster = self.boosters_.get(head)
        if booster is None or len(matrix) == 0:
            return np.full(len(matrix), self.priors_[head], dtype=np.float32)
        return np.asarray(booster.predict(matrix, num_threads=1), dtype=np.float32)

    def _check_matrix(self, X: npt.ArrayLike, *, fitted: bool) -> FloatVector:
        if fitted:
            self.check_fitted()
        matrix = np.asarray(X, dtype=np.float32)
        width = len(self.columns)
        if matrix.ndim != 2 or matrix.shape[1] != width:
            raise ValueError(f"X must have shape (n, {width}), got {matrix.shape}")
        if not np.isfinite(matrix).all():
            raise ValueError("X holds non-finite values")
        return matrix

    def check_fitted(self) -> None:
        if not hasattr(self, "n_features_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit() first")

    @property
    def feature_importances_(self) -> dict[str, FloatVector]:
        """Per head, the total gain of each column's splits, normalised to sum to 1 (all zeros
        for a head that fell back to its prior)."""
        self.check_fitted()
        result: dict[str, FloatVector] = {}
        for head in HEADS:
            booster = self.boosters_.get(head)
            gains = (
                np.zeros(self.n_features_, dtype=np.float64)
                if booster is None
                else np.asarray(booster.feature_importance(importance_type="gain"), np.float64)
            )
            total = gains.sum()
            result[head] = (gains / total if total > 0 else gains).astype(np.float32)
        return result

    # --- persistence --------------------------------------------------------------------------

    def save(self, path: Path | str) -> None:
        """Write `params.json` and `head_<name>.txt` (LightGBM's text model) into `path`."""
        self.check_fitted()
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("head_*.txt"):
            stale.unlink()
        for head, booster in self.boosters_.items():
            (folder / f"head_{head}.txt").write_text(booster.model_to_string())
        meta = {
            "format": FORMAT_VERSION,
            "class": f"{type(self).__module__}.{type(self).__qualname__}",
            "params": self.get_params(),
            "state": {
                "n_features": self.n_features_,
                "priors": self.priors_,
                "fallbacks": self.fallbacks_,
                "head_rows": self.head_rows_,
                "trained_heads": sorted(self.boosters_),
            },
        }
        (folder / PARAMS_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")

    @classmethod
    def load(cls, path: Path | str) -> Self:
        """A fitted ranker saved by `save`."""
        folder = Path(path)
        meta = json.loads((folder / PARAMS_FILE).read_text())
        if meta.get("format") != FORMAT_VERSION:
            raise ValueError(f"{folder}: unsupported ranker format {meta.get('format')!r}")
        expected = f"{cls.__module__}.{cls.__qualname__}"
        if meta.get("class") != expected:
            raise TypeError(f"{folder} holds a {meta.get('class')}, not a {expected}")
        model = cls(**meta["params"])
        state: Mapping[str, Any] = meta["state"]
        model.n_features_ = int(state["n_features"])
        model.priors_ = {k: float(v) for k, v in state["priors"].items()}
        model.fallbacks_ = dict(state["fallbacks"])
        model.head_rows_ = {k: int(v) for k, v in state["head_rows"].items()}
        model.boosters_ = {
            head: lgb.Booster(model_str=(folder / f"head_{head}.txt").read_text())
            for head in state["trained_heads"]
        }
        return model

"""The estimator contract every retrieval model follows, and what they share.

scikit-learn / implicit style: `__init__` only stores hyper-parameters (keyword-only, each under
its own name), `fit(data) -> self` puts learned state in attributes ending in `_`, and
`recommend(user_ids, k, exclude=...)` answers for a whole batch of users at once. A model is saved
as `params.json` (class, hyper-parameters, scalar state) plus `arrays.npz` (arrays and sparse
matrices); nothing is pickled. Serving structures that can be rebuilt from the learned state
(an ANN index, a PyTorch module) are listed in a class's `_derived`, left out of the files and
rebuilt by `_restore()`.
"""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
from scipy import sparse

from xingqu.discovery.interactions import Interactions

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]

FORMAT_VERSION = 1
PARAMS_FILE = "params.json"
ARRAYS_FILE = "arrays.npz"
_PACKAGE = "xingqu.discovery.retrieval."
CHUNK_CELLS = 1 << 23
"""Dense scores are computed for at most this many user × item cells at a time (32 MiB)."""


class NotFittedError(RuntimeError):
    """The estimator was asked for something that needs `fit` (or `load`) first."""


class Recommender:
    """Base of all retrieval estimators. Subclasses implement `fit` and `_scores`.

    `_scores(users)` returns a dense float32 (len(users), n_items_) array in which higher is
    better and `-inf` means "never a candidate". It must accept ids of users it has not seen
    (negative or ≥ the fitted number of users) and give them a sensible fallback.
    """

    _derived: ClassVar[tuple[str, ...]] = ()
    """Public attributes ending in `_` that are rebuilt by `_restore()` rather than saved."""

    n_users_: int  # set by fit: the fitted user and item index spaces
    n_items_: int

    # --- the contract -----------------------------------------------------------------------

    def fit(self, data: Interactions) -> Self:
        raise NotImplementedError

    def recommend(
        self,
        user_ids: npt.ArrayLike,
        k: int,
        *,
        exclude: sparse.csr_matrix | sparse.csr_array | None = None,
    ) -> tuple[IntArray, FloatArray]:
        """The top `k` items for each user, best first, and their scores. Rows are padded with
        item -1 (score -inf) when fewer than `k` items are candidates. `exclude` is users × items,
        rows indexed by user id: its stored non-zero entries are never returned."""
        users = check_users(user_ids)
        check_k(k)
        n_items = self.n_items
        items = np.full((len(users), k), -1, dtype=np.int64)
        scores = np.full((len(users), k), -np.inf, dtype=np.float32)
        if k == 0 or len(users) == 0:
            return items, scores
        if len(users) == 1 and (one := self._top_for_one(users, k, exclude)) is not None:
            return one
        step = max(1, CHUNK_CELLS // max(1, n_items))
        for start in range(0, len(users), step):
            chunk = users[start : start + step]
            dense = self._scores(chunk)
            mask_excluded(dense, chunk, exclude)
            items[start : start + step], scores[start : start + step] = top_k(dense, k)
        return items, scores

    def _scores(self, users: IntArray) -> FloatArray:
        raise NotImplementedError

    def _top_for_one(
        self,
        users: IntArray,
        k: int,
        exclude: sparse.csr_matrix | sparse.csr_array | None,
    ) -> tuple[IntArray, FloatArray] | None:
        """`recommend` for one user (the feed's request) without the dense row over the whole
        catalogue, where the estimator can; None: rank the dense row (`_scores`). It must return
        exactly what ranking the dense row returns."""
        return None

    @property
    def n_items(self) -> int:
        """The size of the fitted catalogue."""
        self.check_fitted()
        return int(self.n_items_)

    def check_fitted(self) -> None:
        if not hasattr(self, "n_items_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit() first")

    # --- hyper-parameters ---------------------------------------------------------------------

    def get_params(self) -> dict[str, Any]:
        """The hyper-parameters given to `__init__`, by name."""
        names = [
            p.name
            for p in inspect.signature(type(self).__init__).parameters.values()
            if p.name != "self" and p.kind is not inspect.Parameter.VAR_KEYWORD
        ]
        return {name: getattr(self, name) for name in names}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    # --- persistence ------------------------------------------------------------------------

    def save(self, path: Path | str) -> None:
        """Write `params.json` and `arrays.npz` into the folder `path` (created if missing)."""
        self.check_fitted()
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        state, arrays = self._export_state(folder)
        meta = {
            "format": FORMAT_VERSION,
            "class": f"{type(self).__module__}.{type(self).__qualname__}",
            "params": self._params_to_json(folder),
            "state": state,
        }
        (folder / PARAMS_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        with (folder / ARRAYS_FILE).open("wb") as out:
            np.savez(out, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path | str) -> Self:
        """A fitted estimator saved by `save`. Called on the base class, it returns whichever
        estimator class was saved; called on a subclass, it checks that it got one."""
        folder = Path(path)
        meta = json.loads((folder / PARAMS_FILE).read_text())
        if meta.get("format") != FORMAT_VERSION:
            raise ValueError(f"{folder}: unsupported model format {meta.get('format')!r}")
        target = resolve_class(meta["class"])
        if not issubclass(target, cls):
            raise TypeError(f"{folder} holds a {target.__name__}, not a {cls.__name__}")
        model = target(**target._params_from_json(meta["params"], folder))
        with np.load(folder / ARRAYS_FILE, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        model._import_state(meta["state"], arrays, folder)
        model._restore()
        return model

    def _learned_names(self) -> list[str]:
        return sorted(
            name
            for name in vars(self)
            if name.endswith("_") and not name.startswith("_") and name not in self._derived
        )

    def _export_state(self, folder: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        state: dict[str, Any] = {}
        arrays: dict[str, np.ndarray] = {}
        for name in self._learned_names():
            value = getattr(self, name)
            if isinstance(value, np.ndarray):
                arrays[name] = value
                state[name] = {"array": name}
            elif sparse.issparse(value):
                csr = sparse.csr_matrix(value)
                arrays[f"{name}.data"] = csr.data
                arrays[f"{name}.indices"] = csr.indices
                arrays[f"{name}.indptr"] = csr.indptr
                state[name] = {"csr": name, "shape": list(csr.shape)}
            elif _plain(value) or (isinstance(value, list) and all(map(_plain, value))):
                state[name] = {"value": value}
            else:
                raise TypeError(f"cannot save learned attribute {name} of type {type(value)}")
        return state, arrays

    def _import_state(
        self, state: dict[str, Any], arrays: dict[str, np.ndarray], folder: Path
    ) -> None:
        for name, entry in state.items():
            if "array" in entry:
                setattr(self, name, arrays[entry["array"]])
            elif "csr" in entry:
                key = entry["csr"]
                matrix = sparse.csr_matrix(
                    (arrays[f"{key}.data"], arrays[f"{key}.indices"], arrays[f"{key}.indptr"]),
                    shape=tuple(entry["shape"]),
                )
                setattr(self, name, matrix)
            else:
                setattr(self, name, entry["value"])

    def _params_to_json(self, folder: Path) -> dict[str, Any]:
        params = self.get_params()
        json.dumps(params)  # fails loudly on a value JSON cannot hold
        return params

    @classmethod
    def _params_from_json(cls, params: dict[str, Any], folder: Path) -> dict[str, Any]:
        return params

    def _restore(self) -> None:
        """Rebuild serving structures from the learned state (after `fit` and `load`)."""


def _plain(value: object) -> bool:
    return value is None or isinstance(value, bool | int | float | str)


def resolve_class(qualified: str) -> type[Recommender]:
    """The estimator class named `module.Class`, only from this package (no arbitrary import)."""
    module_name, _, class_name = qualified.rpartition(".")
    if not module_name.startswith(_PACKAGE):
        raise ValueError(f"{qualified!r} is not a retrieval estimator")
    target = getattr(importlib.import_module(module_name), class_name, None)
    if not (isinstance(target, type) and issubclass(target, Recommender)):
        raise ValueError(f"{qualified!r} is not a retrieval estimator")
    return target


# --- batch serving helpers ----------------------------------------------------------------------


def check_users(user_ids: npt.ArrayLike) -> IntArray:
    users = np.asarray(user_ids)
    if users.ndim != 1:
        raise ValueError("user_ids must be a one-dimensional array")
    if users.size and not np.issubdtype(users.dtype, np.integer):
        raise ValueError("user_ids must be integers")
    return users.astype(np.int64, copy=False)


def check_k(k: int) -> None:
    if not isinstance(k, int | np.integer) or k < 0:
        raise ValueError(f"k must be a non-negative integer, got {k!r}")


def known_users(users: IntArray, n_users: int) -> npt.NDArray[np.bool_]:
    """Which of `users` were seen in fit (ids in 0..n_users-1)."""
    return (users >= 0) & (users < n_users)


def mask_excluded(
    scores: FloatArray,
    users: IntArray,
    exclude: sparse.csr_matrix | sparse.csr_array | None,
) -> None:
    """Set to -inf, in place, the scores of the items `exclude` lists for each user."""
    if exclude is None:
        return
    matrix = sparse.csr_matrix(exclude)
    inside = np.flatnonzero((users >= 0) & (users < matrix.shape[0]))
    if inside.size == 0:
        return
    rows = matrix[users[inside]]
    row_of = np.repeat(inside, np.diff(rows.indptr))
    cols = rows.indices.astype(np.int64)
    keep = (rows.data != 0) & (cols < scores.shape[1])
    scores[row_of[keep], cols[keep]] = -np.inf


def excluded_keys(
    users: IntArray, exclude: sparse.csr_matrix | sparse.csr_array | None, n_items: int
) -> IntArray:
    """Sorted row × n_items + item keys of the excluded items of each of `users` (by row)."""
    if exclude is None or len(users) == 0:
        return np.zeros(0, dtype=np.int64)
    matrix = sparse.csr_matrix(exclude)
    inside = np.flatnonzero((users >= 0) & (users < matrix.shape[0]))
    sub = matrix[users[inside]]
    row_of = np.repeat(inside, np.diff(sub.indptr))
    cols = sub.indices.astype(np.int64)
    keep = (sub.data != 0) & (cols < n_items)
    return np.unique(row_of[keep] * n_items + cols[keep])


def top_k(scores: FloatArray, k: int) -> tuple[IntArray, FloatArray]:
    """Per row, the `k` best columns (ties: lower column first) and their scores. Columns with
    a score of -inf (or NaN) are not candidates: rows are padded with -1 / -inf instead."""
    m, n = scores.shape
    items = np.full((m, k), -1, dtype=np.int64)
    values = np.full((m, k), -np.inf, dtype=np.float32)
    take = min(k, n)
    if take == 0 or m == 0:
        return items, values
    safe = np.where(np.isnan(scores), -np.inf, scores).astype(np.float32, copy=False)
    if take < n:
        part = np.argpartition(-safe, take - 1, axis=1)[:, :take]
        part_scores = np.take_along_axis(safe, part, axis=1)
        # argpartition picks any of the columns tied at the k-th score: where some were left
        # out, that row's top is taken by a full sort instead (ties: lower column first)
        edge = part_scores.min(axis=1)
        tied = (safe == edge[:, None]).sum(axis=1) > (part_scores == edge[:, None]).sum(axis=1)
        for row in np.flatnonzero(tied & np.isfinite(edge)):
            part[row] = np.lexsort((np.arange(n), -safe[row]))[:take]
            part_scores[row] = safe[row, part[row]]
    else:
        part = np.broadcast_to(np.arange(n), (m, n))
        part_scores = np.take_along_axis(safe, part, axis=1)
    order = np.lexsort((part, -part_scores), axis=-1)
    best = np.take_along_axis(part, order, axis=1)
    best_scores = np.take_along_axis(part_scores, order, axis=1)
    real = np.isfinite(best_scores) | (best_scores > 0)  # +inf is a (very) good candidate
    items[:, :take] = np.where(real, best, -1)
    values[:, :take] = np.where(real, best_scores, -np.inf)
    return items, values


def minmax(values: FloatArray) -> FloatArray:
    """Scale a vector into [0, 1] (all zeros when it is constant)."""
    if values.size == 0:
        return values.astype(np.float32)
    low, high = float(values.min()), float(values.max())
    if high <= low:
        return np.zeros_like(values, dtype=np.float32)
    return ((values - low) / (high - low)).astype(np.float32)

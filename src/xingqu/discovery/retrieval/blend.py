"""Multi-channel retrieval: several recommenders' candidate lists fused into one, with quotas.

Each channel proposes its top `candidates` items per user (exclusions already applied). An
item's fused score is Σ over the channels that propose it of weight × normalised score, where
the normalisation is by rank, (rank_constant + 1) / (rank_constant + rank) with rank 1 the
channel's best, or by score, the channel's scores min-max scaled over its list. A quota gives a
channel at least that share of each user's `k` slots (rounded to the nearest slot) with items it
proposed, displacing the lowest fused items that no other quota needs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
from scipy import sparse

from xingqu.discovery.interactions import Interactions
from xingqu.discovery.retrieval.base import (
    CHUNK_CELLS,
    FloatArray,
    IntArray,
    Recommender,
    check_k,
    check_users,
    mask_excluded,
    resolve_class,
    top_k,
)

_CHANNELS = "channels"
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
FUSIONS = ("rank", "score")


class BlendRecommender(Recommender):
    """Weighted fusion of named channels. With `refit` (the default) `fit` fits every channel
    on the data; without, the channels must already be fitted on the same item indices."""

    _derived: ClassVar[tuple[str, ...]] = ("channels_",)

    def __init__(
        self,
        *,
        channels: Sequence[tuple[str, Recommender]],
        weights: Sequence[float] | None = None,
        fusion: str = "rank",
        rank_constant: float = 10.0,
        candidates: int = 100,
        quotas: Mapping[str, float] | None = None,
        refit: bool = True,
    ) -> None:
        self.channels = channels
        self.weights = weights
        self.fusion = fusion
        self.rank_constant = rank_constant
        self.candidates = candidates
        self.quotas = quotas
        self.refit = refit

    def _check_params(self) -> None:
        names = [name for name, _ in self.channels]
        if not names:
            raise ValueError("a blend needs at least one channel")
        if len(set(names)) != len(names) or not all(_NAME.match(n) for n in names):
            raise ValueError("channel names must be unique and made of letters, digits, - and _")
        if self.weights is not None and len(self.weights) != len(names):
            raise ValueError("one weight per channel")
        if self.fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {FUSIONS}")
        if self.candidates < 1:
            raise ValueError("candidates must be at least 1")
        quotas = dict(self.quotas or {})
        if set(quotas) - set(names):
            raise ValueError(f"quotas for unknown channels: {sorted(set(quotas) - set(names))}")
        if any(q < 0 for q in quotas.values()) or sum(quotas.values()) > 1.0 + 1e-9:
            raise ValueError("quotas are shares of k: non-negative, summing to at most 1")

    def fit(self, data: Interactions) -> Self:
        self._check_params()
        for name, channel in self.channels:
            if self.refit:
                channel.fit(data)
            elif getattr(channel, "n_items_", None) != data.n_items:
                raise ValueError(f"channel {name} is not fitted on these items (refit=False)")
        self.channels_ = [channel for _, channel in self.channels]
        self.n_users_ = data.n_users
        self.n_items_ = data.n_items
        return self

    @property
    def channel_weights(self) -> FloatArray:
        if self.weights is None:
            return np.ones(len(self.channels), dtype=np.float32)
        return np.asarray(self.weights, dtype=np.float32)

    def recommend(
        self,
        user_ids: npt.ArrayLike,
        k: int,
        *,
        exclude: sparse.csr_matrix | sparse.csr_array | None = None,
    ) -> tuple[IntArray, FloatArray]:
        items, scores, _ = self.recommend_with_sources(user_ids, k, exclude=exclude)
        return items, scores

    def recommend_with_sources(
        self,
        user_ids: npt.ArrayLike,
        k: int,
        *,
        exclude: sparse.csr_matrix | sparse.csr_array | None = None,
    ) -> tuple[IntArray, FloatArray, IntArray]:
        """As `recommend`, plus for each item the index of the channel that contributed most to
        it (or filled its quota); -1 on padding."""
        users = check_users(user_ids)
        check_k(k)
        self.check_fitted()
        items = np.full((len(users), k), -1, dtype=np.int64)
        scores = np.full((len(users), k), -np.inf, dtype=np.float32)
        sources = np.full((len(users), k), -1, dtype=np.int64)
        if k == 0 or len(users) == 0:
            return items, scores, sources
        step = max(1, CHUNK_CELLS // max(1, self.n_items_))
        for start in range(0, len(users), step):
            chunk = users[start : start + step]
            lists = self._channel_lists(chunk, max(k, self.candidates), exclude)
            fused, best = self._fuse(lists, len(chunk))
            mask_excluded(fused, chunk, exclude)
            top, top_scores = top_k(fused, k)
            rows = np.arange(len(chunk))[:, None]
            top_sources = np.where(top >= 0, best[rows, np.maximum(top, 0)], -1)
            if self.quotas:
                self._apply_quotas(lists, k, fused, top, top_scores, top_sources)
            window = slice(start, start + step)
            items[window], scores[window], sources[window] = top, top_scores, top_sources
        return items, scores, sources

    def _scores(self, users: IntArray) -> FloatArray:
        fused, _ = self._fuse(self._channel_lists(users, self.candidates, None), len(users))
        return fused

    def _channel_lists(
        self, users: IntArray, depth: int, exclude: sparse.csr_matrix | sparse.csr_array | None
    ) -> list[tuple[IntArray, FloatArray]]:
        return [channel.recommend(users, depth, exclude=exclude) for channel in self.channels_]

    def _fuse(
        self, lists: list[tuple[IntArray, FloatArray]], m: int
    ) -> tuple[FloatArray, npt.NDArray[np.int8]]:
        """Dense fused scores of m users (-inf where no channel proposes the item) and, per
        cell, the channel that contributed most."""
        fused = np.zeros((m, self.n_items_), dtype=np.float32)
        proposed = np.zeros((m, self.n_items_), dtype=bool)
        strongest = np.zeros((m, self.n_items_), dtype=np.float32)
        best = np.full((m, self.n_items_), -1, dtype=np.int8)
        for index, ((items, scores), weight) in enumerate(
            zip(lists, self.channel_weights, strict=True)
        ):
            contribution = weight * self._normalise(items, scores)
            rows, cols = np.nonzero(items >= 0)
            cells = items[rows, cols]
            value = contribution[rows, cols]
            fused[rows, cells] += value
            proposed[rows, cells] = True
            better = (value > strongest[rows, cells]) | (best[rows, cells] < 0)
            strongest[rows[better], cells[better]] = value[better]
            best[rows[better], cells[better]] = index
        fused[~proposed] = -np.inf
        return fused, best

    def _normalise(self, items: IntArray, scores: FloatArray) -> FloatArray:
        real = items >= 0
        if self.fusion == "rank":
            rank = np.arange(1, items.shape[1] + 1, dtype=np.float32)[None, :]
            value = (self.rank_constant + 1.0) / (self.rank_constant + rank)
            return np.where(real, value, 0.0).astype(np.float32)
        usable = real & np.isfinite(scores)
        low = np.min(scores, axis=1, where=usable, initial=np.inf, keepdims=True)
        high = np.max(scores, axis=1, where=usable, initial=-np.inf, keepdims=True)
        spread = high > low
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(spread, (scores - low) / np.where(spread, high - low, 1.0), 1.0)
        return np.where(usable, value, 0.0).astype(np.float32)

    def _apply_quotas(
        self,
        lists: list[tuple[IntArray, FloatArray]],
        k: int,
        fused: FloatArray,
        items: IntArray,
        scores: FloatArray,
        sources: IntArray,
    ) -> None:
        """Make each quota's channel hold its share of every row, in place."""
        names = [name for name, _ in self.channels]
        wanted = {
            names.index(name): int(share * k + 0.5)
            for name, share in (self.quotas or {}).items()
            if int(share * k + 0.5) > 0
        }
        proposals = [
            [set(row[row >= 0].tolist()) for row in channel_items] for channel_items, _ in lists
        ]
        for r in range(len(items)):
            chosen = [int(i) for i in items[r] if i >= 0]
            source = {int(i): int(s) for i, s in zip(items[r], sources[r], strict=True) if i >= 0}
            for channel, need in wanted.items():
                held = [i for i in chosen if i in proposals[channel][r]]
                missing = need - len(held)
                if missing <= 0:
                    for i in held[:need]:
                        source[i] = channel
                    continue
                for i in held:
                    source[i] = channel
                additions = [
                    int(i) for i in lists[channel][0][r] if i >= 0 and int(i) not in source
                ][:missing]
                for item in additions:
                    if len(chosen) >= k:
                        victim = self._victim(chosen, source, wanted, proposals, r)
                        if victim is None:
                            break
                        chosen.remove(victim)
                        del source[victim]
                    chosen.append(item)
                    source[item] = channel
            chosen.sort(key=lambda i: (-float(fused[r, i]), i))
            items[r] = -1
            scores[r] = -np.inf
            sources[r] = -1
            items[r, : len(chosen)] = chosen
            scores[r, : len(chosen)] = fused[r, chosen]
            sources[r, : len(chosen)] = [source[i] for i in chosen]

    @staticmethod
    def _victim(
        chosen: list[int],
        source: dict[int, int],
        wanted: dict[int, int],
        proposals: list[list[set[int]]],
        row: int,
    ) -> int | None:
        """The lowest item whose removal leaves every quota met (items are in fused order)."""
        for item in reversed(chosen):
            channel = source[item]
            if channel in wanted:
                held = sum(1 for i in chosen if source[i] == channel)
                if held <= wanted[channel]:
                    continue
            return item
        return None

    # --- persistence: channels are saved in sub-folders ------------------------------------

    def _params_to_json(self, folder: Path) -> dict[str, Any]:
        params = self.get_params()
        params["channels"] = [
            {
                "name": name,
                "class": f"{type(channel).__module__}.{type(channel).__qualname__}",
                "params": channel._params_to_json(folder / _CHANNELS / name),
            }
            for name, channel in self.channels
        ]
        params["weights"] = None if self.weights is None else [float(w) for w in self.weights]
        params["quotas"] = None if self.quotas is None else dict(self.quotas)
        return params

    @classmethod
    def _params_from_json(cls, params: dict[str, Any], folder: Path) -> dict[str, Any]:
        channels = []
        for spec in params["channels"]:
            target = resolve_class(spec["class"])
            sub = folder / _CHANNELS / spec["name"]
            channels.append((spec["name"], target(**target._params_from_json(spec["params"], sub))))
        return {**params, "channels": channels}

    def _export_state(self, folder: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        for (name, _), channel in zip(self.channels, self.channels_, strict=True):
            channel.save(folder / _CHANNELS / name)
        return super()._export_state(folder)

    def _import_state(
        self, state: dict[str, Any], arrays: dict[str, np.ndarray], folder: Path
    ) -> None:
        super()._import_state(state, arrays, folder)
        self.channels = [
            (name, Recommender.load(folder / _CHANNELS / name)) for name, _ in self.channels
        ]
        self.channels_ = [channel for _, channel in self.channels]

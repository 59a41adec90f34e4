"""Multi-channel retrieval: several recommenders' candidate lists fused into one, with quotas.

Each channel proposes its top `candidates` items per user (exclusions already applied). An
item's fused score is Σ over the channels that propose it of weight × normalised strength (see
`fusion.normalise`: by rank or by min-max scaled score). A quota gives a channel at least that
share of each user's `k` slots (rounded to the nearest slot) with items it proposed, displacing
the lowest fused items that no other quota needs.

With `tune`, `fit` first learns the weights: it holds out one interaction per user (see
`holdout`), fits the channels on the rest, and searches the weights (two rounds of coordinate
ascent over `tune_grid`, from the given weights) for the best NDCG@10 of the fused lists on
the held-out items; then it fits the channels on all the data. Hold out what the blend will be
asked: "last" for next-item serving and leave-one-out benchmarks, "random" for random splits,
"period" (with `tune_period`) for time splits: the last period's new items.
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
from xingqu.discovery.retrieval import fusion
from xingqu.discovery.retrieval.base import (
    FloatArray,
    IntArray,
    Recommender,
    check_k,
    check_users,
    excluded_keys,
    resolve_class,
)
from xingqu.discovery.retrieval.holdout import HOLDOUTS, hold_out

_CHANNELS = "channels"
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TUNE_K = 10


class BlendRecommender(Recommender):
    """Weighted fusion of named channels. With `refit` (the default) `fit` fits every channel
    on the data; without, the channels must already be fitted on the same item indices.
    Channels named in `optional` are left out when they refuse the data (EASE above its item
    limit, exploration without categories). `active_` names the channels in use and
    `weights_` their weights (the given ones, or the tuned ones)."""

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
        tune: bool = False,
        tune_holdout: str = "last",
        tune_grid: Sequence[float] = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0),
        tune_users: int = 5000,
        tune_period: float | None = None,
        optional: Sequence[str] = (),
        seed: int = 0,
        verbose: bool = False,
    ) -> None:
        self.channels = channels
        self.weights = weights
        self.fusion = fusion
        self.rank_constant = rank_constant
        self.candidates = candidates
        self.quotas = quotas
        self.refit = refit
        self.tune = tune
        self.tune_holdout = tune_holdout
        self.tune_grid = tune_grid
        self.tune_users = tune_users
        self.tune_period = tune_period
        self.optional = optional
        self.seed = seed
        self.verbose = verbose

    def _check_params(self) -> None:
        names = [name for name, _ in self.channels]
        if not names:
            raise ValueError("a blend needs at least one channel")
        if len(set(names)) != len(names) or not all(_NAME.match(n) for n in names):
            raise ValueError("channel names must be unique and made of letters, digits, - and _")
        if self.weights is not None and len(self.weights) != len(names):
            raise ValueError("one weight per channel")
        if self.fusion not in fusion.FUSIONS:
            raise ValueError(f"fusion must be one of {fusion.FUSIONS}")
        if self.candidates < 1:
            raise ValueError("candidates must be at least 1")
        quotas = dict(self.quotas or {})
        if set(quotas) - set(names):
            raise ValueError(f"quotas for unknown channels: {sorted(set(quotas) - set(names))}")
        if any(q < 0 for q in quotas.values()) or sum(quotas.values()) > 1.0 + 1e-9:
            raise ValueError("quotas are shares of k: non-negative, summing to at most 1")
        if set(self.optional) - set(names):
            raise ValueError(
                f"optional unknown channels: {sorted(set(self.optional) - set(names))}"
            )
        if self.tune and (not self.refit or self.tune_holdout not in HOLDOUTS):
            raise ValueError(f"tuning refits the channels and holds out one of {HOLDOUTS}")

    def fit(self, data: Interactions) -> Self:
        self._check_params()
        given = [1.0] * len(self.channels) if self.weights is None else list(self.weights)
        weights = {name: float(w) for (name, _), w in zip(self.channels, given, strict=True)}
        active = [name for name, _ in self.channels]
        if self.tune:
            rest, users, targets = hold_out(
                data,
                self.tune_holdout,
                seed=self.seed,
                max_users=self.tune_users,
                period=self.tune_period,
            )
            active = self._fit_channels(rest, active)
            tuned, self.tune_ndcg_ = self._tuned_weights(
                rest, users, targets, active, [weights[name] for name in active]
            )
            weights = dict(zip(active, tuned, strict=True))
        if self.refit:
            active = self._fit_channels(data, active)
        for name in active:
            if getattr(self._channel(name), "n_items_", None) != data.n_items:
                raise ValueError(f"channel {name} is not fitted on these items (refit=False)")
        self.active_ = active
        self.weights_ = [weights[name] for name in active]
        self.channels_ = [self._channel(name) for name in active]
        self.n_users_ = data.n_users
        self.n_items_ = data.n_items
        return self

    def _channel(self, name: str) -> Recommender:
        return dict(self.channels)[name]

    def _fit_channels(self, data: Interactions, names: list[str]) -> list[str]:
        """Fit the named channels; an optional one that refuses the data is left out."""
        from tqdm.auto import tqdm

        fitted = []
        steps = tqdm(names, desc="blend channels", unit="channel", disable=not self.verbose)
        for name in steps:
            steps.set_postfix_str(name)
            try:
                self._channel(name).fit(data)
            except ValueError:
                if name not in self.optional:
                    raise
                continue
            fitted.append(name)
        if not fitted:
            raise ValueError("every channel of the blend refused the data")
        return fitted

    def _tuned_weights(
        self,
        rest: Interactions,
        users: IntArray,
        targets: IntArray,
        names: list[str],
        start: list[float],
    ) -> tuple[list[float], float]:
        history = rest.to_csr(binary=True)
        strengths = []
        for name in names:
            items, scores = self._channel(name).recommend(users, self.candidates, exclude=history)
            strengths.append(
                (items, fusion.normalise(items, scores, self.fusion, self.rank_constant))
            )

        def quality(weights: list[float]) -> float:
            fused = fusion.fuse(strengths, weights, rest.n_items)
            return fusion.ndcg(fusion.top(fused, _TUNE_K)[0], targets, _TUNE_K)

        weights = list(start)
        best = quality(weights)
        for _ in range(2):  # two rounds of coordinate ascent
            for index in range(len(weights)):
                for value in self.tune_grid:
                    trial = [*weights[:index], float(value), *weights[index + 1 :]]
                    if not any(trial):
                        continue
                    score = quality(trial)
                    if score > best + 1e-9:
                        best, weights = score, trial
        return weights, best

    # --- serving ----------------------------------------------------------------------------

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
        it (or whose quota it fills); -1 on padding."""
        users = check_users(user_ids)
        check_k(k)
        self.check_fitted()
        lists = [
            channel.recommend(users, max(k, self.candidates), exclude=exclude)
            for channel in self.channels_
        ]
        strengths = [
            (items, fusion.normalise(items, scores, self.fusion, self.rank_constant))
            for items, scores in lists
        ]
        banned = excluded_keys(users, exclude, self.n_items_)  # (for channels that ignore it)
        fused = fusion.fuse(strengths, self.weights_, self.n_items_, banned=banned)
        items, scores, sources = fusion.top(fused, k)
        if self.quotas and k:
            self._apply_quotas(lists, k, fused, items, scores, sources)
        return items, scores, sources

    def _scores(self, users: IntArray) -> FloatArray:
        lists = [channel.recommend(users, self.candidates) for channel in self.channels_]
        strengths = [
            (items, fusion.normalise(items, scores, self.fusion, self.rank_constant))
            for items, scores in lists
        ]
        fused = fusion.fuse(strengths, self.weights_, self.n_items_)
        dense = np.full((len(users), self.n_items_), -np.inf, dtype=np.float32)
        dense[fused.rows, fused.items] = fused.scores
        return dense

    def _apply_quotas(
        self,
        lists: list[tuple[IntArray, FloatArray]],
        k: int,
        fused: fusion.Fused,
        items: IntArray,
        scores: FloatArray,
        sources: IntArray,
    ) -> None:
        """Make each quota's channel hold its share of every row, in place."""
        wanted = {
            self.active_.index(name): int(share * k + 0.5)
            for name, share in (self.quotas or {}).items()
            if name in self.active_ and int(share * k + 0.5) > 0
        }
        proposals = [
            [set(row[row >= 0].tolist()) for row in channel_items] for channel_items, _ in lists
        ]
        for r in range(len(items)):
            chosen = [int(i) for i in items[r] if i >= 0]
            source = {int(i): int(s) for i, s in zip(items[r], sources[r], strict=True) if i >= 0}
            for channel, need in wanted.items():
                held = [i for i in chosen if i in proposals[channel][r]]
                for i in held[:need]:
                    source[i] = channel
                missing = need - len(held)
                if missing <= 0:
                    continue
                additions = [
                    int(i) for i in lists[channel][0][r] if i >= 0 and int(i) not in source
                ]
                for item in additions[:missing]:
                    if len(chosen) >= k:
                        victim = _victim(chosen, source, wanted)
                        if victim is None:
                            break
                        chosen.remove(victim)
                        del source[victim]
                    chosen.append(item)
                    source[item] = channel
            values = fused.score_of(r, np.array(chosen, dtype=np.int64))
            order = np.lexsort((np.array(chosen), -values))
            items[r], scores[r], sources[r] = -1, -np.inf, -1
            items[r, : len(chosen)] = np.array(chosen)[order]
            scores[r, : len(chosen)] = values[order]
            sources[r, : len(chosen)] = [source[chosen[i]] for i in order]

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
        params["tune_grid"] = [float(v) for v in self.tune_grid]
        params["optional"] = list(self.optional)
        return params

    @classmethod
    def _params_from_json(cls, params: dict[str, Any], folder: Path) -> dict[str, Any]:
        channels = []
        for spec in params["channels"]:
            target = resolve_class(spec["class"])
            sub = folder / _CHANNELS / spec["name"]
            channels.append((spec["name"], target(**target._params_from_json(spec["params"], sub))))
        return {
            **params,
            "channels": channels,
            "tune_grid": tuple(params["tune_grid"]),
            "optional": tuple(params["optional"]),
        }

    def _export_state(self, folder: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        for name, channel in zip(self.active_, self.channels_, strict=True):
            channel.save(folder / _CHANNELS / name)
        return super()._export_state(folder)

    def _import_state(
        self, state: dict[str, Any], arrays: dict[str, np.ndarray], folder: Path
    ) -> None:
        super()._import_state(state, arrays, folder)
        self.channels = [
            (name, Recommender.load(folder / _CHANNELS / name) if name in self.active_ else channel)
            for name, channel in self.channels
        ]
        self.channels_ = [self._channel(name) for name in self.active_]


def _victim(chosen: list[int], source: dict[int, int], wanted: dict[int, int]) -> int | None:
    """The lowest item whose removal leaves every quota met (`chosen` is in fused order)."""
    for item in reversed(chosen):
        channel = source[item]
        if channel in wanted and sum(1 for i in chosen if source[i] == channel) <= wanted[channel]:
            continue
        return item
    return None

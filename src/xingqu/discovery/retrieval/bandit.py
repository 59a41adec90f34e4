"""Thompson sampling over categories, to learn online which explorations a segment responds to.

Each (user segment, category) has a Beta(α, β) posterior over its response rate. A response in
[0, 1] (1 = engaged, 0 = ignored; fractions for graded responses such as watch completion)
adds `reward` to α and `1 − reward` to β. To choose, draw one rate per category from its
posterior and take the best: uncertain categories get tried, poor ones fade. No I/O; the
randomness comes from the caller's generator, so a seeded run is reproducible.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Self

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_PARAMS = "params.json"
_ARRAYS = "arrays.npz"


class CategoryBandit:
    """Beta-Bernoulli Thompson sampling per segment × category, starting from
    Beta(prior_alpha, prior_beta) everywhere."""

    def __init__(
        self,
        n_categories: int,
        *,
        n_segments: int = 1,
        prior_alpha: float = 1.0,
        prior_beta: float = 1.0,
    ) -> None:
        if n_categories < 1 or n_segments < 1:
            raise ValueError("n_categories and n_segments must be at least 1")
        if prior_alpha <= 0 or prior_beta <= 0:
            raise ValueError("the Beta prior needs positive alpha and beta")
        self.n_categories = n_categories
        self.n_segments = n_segments
        self.prior_alpha = prior_alpha
        self.prior_beta = prior_beta
        self.alpha_ = np.full((n_segments, n_categories), prior_alpha, dtype=np.float64)
        self.beta_ = np.full((n_segments, n_categories), prior_beta, dtype=np.float64)

    def update(
        self,
        category: int | npt.ArrayLike,
        reward: float | npt.ArrayLike,
        *,
        segment: int | npt.ArrayLike = 0,
    ) -> None:
        """Record responses: scalars or parallel arrays of categories, rewards and segments."""
        categories = np.atleast_1d(np.asarray(category, dtype=np.int64))
        rewards = np.atleast_1d(np.asarray(reward, dtype=np.float64))
        segments = np.atleast_1d(np.asarray(segment, dtype=np.int64))
        categories, rewards, segments = np.broadcast_arrays(categories, rewards, segments)
        if categories.size and (categories.min() < 0 or categories.max() >= self.n_categories):
            raise ValueError("category out of range")
        if segments.size and (segments.min() < 0 or segments.max() >= self.n_segments):
            raise ValueError("segment out of range")
        if not np.all((rewards >= 0.0) & (rewards <= 1.0)):
            raise ValueError("rewards must lie within [0, 1]")
        np.add.at(self.alpha_, (segments, categories), rewards)
        np.add.at(self.beta_, (segments, categories), 1.0 - rewards)

    def mean(self, segment: int = 0) -> FloatArray:
        """The posterior mean response rate of every category for `segment`."""
        self._check_segment(segment)
        return self.alpha_[segment] / (self.alpha_[segment] + self.beta_[segment])

    def sample(self, rng: np.random.Generator, segment: int = 0) -> FloatArray:
        """One Thompson draw per category for `segment`."""
        self._check_segment(segment)
        return rng.beta(self.alpha_[segment], self.beta_[segment])

    def choose(
        self,
        n: int,
        rng: np.random.Generator,
        *,
        segment: int = 0,
        candidates: npt.ArrayLike | None = None,
    ) -> IntArray:
        """Up to `n` categories (among `candidates`, all when None), best draw first."""
        if n < 0:
            raise ValueError("n must be non-negative")
        draws = self.sample(rng, segment)
        if candidates is None:
            pool = np.arange(self.n_categories)
        else:
            pool = np.unique(np.asarray(candidates, dtype=np.int64))
            pool = pool[(pool >= 0) & (pool < self.n_categories)]
        order = np.argsort(-draws[pool], kind="stable")
        return pool[order[:n]]

    def _check_segment(self, segment: int) -> None:
        if not 0 <= segment < self.n_segments:
            raise ValueError("segment out of range")

    # --- persistence: params.json + arrays.npz, as the estimators ---------------------------

    def save(self, path: Path | str) -> None:
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        params = {
            "n_categories": self.n_categories,
            "n_segments": self.n_segments,
            "prior_alpha": self.prior_alpha,
            "prior_beta": self.prior_beta,
        }
        (folder / _PARAMS).write_text(json.dumps(params, indent=2, sort_keys=True) + "\n")
        with (folder / _ARRAYS).open("wb") as out:
            np.savez(out, alpha_=self.alpha_, beta_=self.beta_)

    @classmethod
    def load(cls, path: Path | str) -> Self:
        folder = Path(path)
        params = json.loads((folder / _PARAMS).read_text())
        bandit = cls(
            int(params["n_categories"]),
            n_segments=int(params["n_segments"]),
            prior_alpha=float(params["prior_alpha"]),
            prior_beta=float(params["prior_beta"]),
        )
        with np.load(folder / _ARRAYS, allow_pickle=False) as npz:
            bandit.alpha_, bandit.beta_ = npz["alpha_"], npz["beta_"]
        return bandit

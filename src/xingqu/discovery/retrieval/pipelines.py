"""Named, ready-made estimators: what `xingqu evaluate` and `bench/compare.py` run by name.

Each entry of `ESTIMATORS` is a factory that accepts hyper-parameter overrides as keyword
arguments. The blends are Xingqu's retrieval pipeline: several channels whose fusion weights
are tuned on a hold-out of the fit data, so one definition adapts to sequential data (where
transitions and SASRec lead) and to taste data (where EASE leads).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from xingqu.discovery.retrieval.als import ALSRecommender
from xingqu.discovery.retrieval.base import Recommender
from xingqu.discovery.retrieval.blend import BlendRecommender
from xingqu.discovery.retrieval.category_interest import CategoryInterestRecommender
from xingqu.discovery.retrieval.covisitation import CoVisitationRecommender
from xingqu.discovery.retrieval.ease import EASERecommender
from xingqu.discovery.retrieval.exploration import CategoryExplorationChannel
from xingqu.discovery.retrieval.popularity import PopularityRecommender
from xingqu.discovery.retrieval.transition import TransitionRecommender


def sasrec(**params: Any) -> Recommender:
    """SASRecRecommender (imports PyTorch only when called)."""
    from xingqu.discovery.retrieval.sasrec import SASRecRecommender

    return SASRecRecommender(**params)


def _has_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def interest_blend(
    *,
    sequence_model: bool = True,
    ease_max_items: int = 20_000,
    sasrec_epochs: int = 15,
    verbose: bool = False,
    **params: Any,
) -> BlendRecommender:
    """Transitions + EASE + ALS (+ SASRec when PyTorch is installed and `sequence_model`),
    weights tuned on each user's last interaction of the fit data. `verbose` shows progress
    bars (channels, SASRec epochs). `params` go to the blend (`tune_holdout="random"` for data
    whose order does not matter, for instance)."""
    channels: list[tuple[str, Recommender]] = [
        ("transition", TransitionRecommender()),
        ("ease", EASERecommender(regularization=200.0, max_items=ease_max_items)),
        ("als", ALSRecommender(factors=32, alpha=2.0)),
    ]
    if sequence_model and _has_torch():
        # warm start: the tuning fit trains it on the hold-out's rest, the final fit goes on
        # from there with all the data (2 × sasrec_epochs in all, not twice from scratch)
        channels.append(
            (
                "sasrec",
                sasrec(
                    epochs=sasrec_epochs,
                    learning_rate=3e-3,
                    dropout=0.3,
                    warm_start=True,
                    verbose=verbose,
                ),
            )
        )
    settings: dict[str, Any] = {
        "channels": channels,
        "tune": True,
        "optional": ["ease"],
        "verbose": verbose,
        **params,
    }
    return BlendRecommender(**settings)


def sequence_blend_without_sasrec(**params: Any) -> BlendRecommender:
    """`interest_blend` without its sequence model: transitions, EASE and ALS (minutes to train
    on Amazon-sized data on two cores, where SASRec takes most of an hour)."""
    settings: dict[str, Any] = {"sequence_model": False, **params}
    return interest_blend(**settings)


def taste_blend(**params: Any) -> BlendRecommender:
    """For random splits of taste data (MovieLens'): EASE with session chunks in its Gram
    matrix, ALS (many factors, strongly regularised), co-visitation within a window of the user's
    whole history, and transitions, weights tuned on a random held-out interaction per user.
    `params` go to the blend."""
    channels: list[tuple[str, Recommender]] = [
        ("ease", EASERecommender(regularization=500.0, session_window=25, session_weight=2.0)),
        ("als", ALSRecommender(factors=128, regularization=30.0, alpha=3.0, iterations=30)),
        (
            "covisitation",
            CoVisitationRecommender(window=10, distance_decay=0.8, history=1000, recency_decay=1.0),
        ),
        ("transition", TransitionRecommender()),
    ]
    settings: dict[str, Any] = {
        "channels": channels,
        "tune": True,
        "tune_holdout": "random",
        "fusion": "score",
        "optional": ["ease"],
        **params,
    }
    return BlendRecommender(**settings)


def browse_blend(*, period: float = 86_400.0, **params: Any) -> BlendRecommender:
    """For browsing logs cut in time (fit on the days before, predict the next day's new
    items): the user's category interests × in-category trends, co-visitation, transitions and
    ALS, weights tuned on the last `period` of the fit data (timestamp units; a day in
    seconds by default). `params` go to the blend."""
    channels: list[tuple[str, Recommender]] = [
        ("category", CategoryInterestRecommender()),
        (
            "als",
            ALSRecommender(factors=128, regularization=100.0, alpha=20.0, binary=True, ann=False),
        ),
        ("transition", TransitionRecommender()),
        ("covisitation", CoVisitationRecommender()),
    ]
    settings: dict[str, Any] = {
        "channels": channels,
        "tune": True,
        "tune_holdout": "period",
        "tune_period": period,
        "optional": ["category"],
        **params,
    }
    return BlendRecommender(**settings)


ESTIMATORS: dict[str, Callable[..., Recommender]] = {
    "popularity": PopularityRecommender,
    "als": ALSRecommender,
    "covisitation": CoVisitationRecommender,
    "ease": EASERecommender,
    "transition": TransitionRecommender,
    "sasrec": sasrec,
    "exploration": CategoryExplorationChannel,
    "category": CategoryInterestRecommender,
    "blend": interest_blend,
    "blend-no-sasrec": sequence_blend_without_sasrec,
    "blend-taste": taste_blend,
    "blend-browse": browse_blend,
}

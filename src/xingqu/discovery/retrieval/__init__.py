"""Retrieval estimators: the candidate channels of the discovery engine, trainable offline on
an `Interactions` and servable online in batches.

Every estimator follows `base.Recommender`: `Model(**hyper_parameters).fit(data)`,
`recommend(user_ids, k, exclude=...)`, `save(path)` / `Model.load(path)`. `SASRecRecommender`
needs PyTorch and is imported only when asked for. `ESTIMATORS` names ready-made estimators
(factories taking hyper-parameter overrides), `interest_blend` among them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from xingqu.discovery.retrieval.als import ALSRecommender
from xingqu.discovery.retrieval.bandit import CategoryBandit
from xingqu.discovery.retrieval.base import NotFittedError, Recommender
from xingqu.discovery.retrieval.blend import BlendRecommender
from xingqu.discovery.retrieval.category_interest import CategoryInterestRecommender
from xingqu.discovery.retrieval.covisitation import CoVisitationRecommender
from xingqu.discovery.retrieval.ease import EASERecommender
from xingqu.discovery.retrieval.exploration import CategoryExplorationChannel
from xingqu.discovery.retrieval.pipelines import ESTIMATORS, interest_blend
from xingqu.discovery.retrieval.popularity import PopularityRecommender
from xingqu.discovery.retrieval.transition import TransitionRecommender

if TYPE_CHECKING:
    from xingqu.discovery.retrieval.sasrec import SASRecRecommender

__all__ = [
    "ESTIMATORS",
    "ALSRecommender",
    "BlendRecommender",
    "CategoryBandit",
    "CategoryExplorationChannel",
    "CategoryInterestRecommender",
    "CoVisitationRecommender",
    "EASERecommender",
    "NotFittedError",
    "PopularityRecommender",
    "Recommender",
    "SASRecRecommender",
    "TransitionRecommender",
    "interest_blend",
]


def __getattr__(name: str) -> Any:
    if name == "SASRecRecommender":
        from xingqu.discovery.retrieval.sasrec import SASRecRecommender

        return SASRecRecommender
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Ranking, value and re-ranking: the stages after retrieval, pure and database-free.

`features.assemble` builds the ranker's matrix from named columns (the same code online and
offline); `MultiTaskRanker` predicts p(click), p(buy | click), p(refund | buy) and watch
seconds; `QualityGmvValue` turns those heads into one value in fen; `rerank` fills a page by
value with diversity, exploration slots, a new-merchant quota and frequency caps. See
docs/ranking.md.
"""

from __future__ import annotations

from xingqu.discovery.ranking.features import CHANNELS, FEATURES, assemble
from xingqu.discovery.ranking.ranker import Heads, Labels, MultiTaskRanker, NotFittedError
from xingqu.discovery.ranking.rerank import (
    Candidate,
    Placed,
    PlacementReason,
    RerankPolicy,
    rerank,
)
from xingqu.discovery.ranking.value import QualityGmvValue, ValueTerms

__all__ = [
    "CHANNELS",
    "FEATURES",
    "Candidate",
    "Heads",
    "Labels",
    "MultiTaskRanker",
    "NotFittedError",
    "Placed",
    "PlacementReason",
    "QualityGmvValue",
    "RerankPolicy",
    "ValueTerms",
    "assemble",
    "rerank",
]

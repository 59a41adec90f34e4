"""The ranker's feature columns from the engine's raw inputs: one function for serving and for
training, so a row is built the same way in both (`ranking.features.assemble` then orders them).

Serving passes one request's candidates (the user's columns are scalars repeated per row);
training passes millions of logged impressions at once, each with the user's state as of the
impression. Everything is vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from xingqu.discovery.ranking.features import (
    CHANNELS,
    FEATURE_INDEX,
    KINDS,
    assemble,
    hour_columns,
    price_log,
    price_vs_user_level,
    smoothed_rate,
)
from xingqu.discovery.ranking.ranker import Heads
from xingqu.discovery.rules import (
    PRIOR_P_BUY_GIVEN_CLICK,
    PRIOR_P_CLICK,
    PRIOR_P_REFUND_GIVEN_BUY,
    PRIOR_WATCH_S,
    local_hour,
)

FloatArray = npt.NDArray[np.float32]
Vector = npt.ArrayLike


@dataclass(frozen=True)
class FeatureInputs:
    """Raw inputs per row (arrays of n, or scalars for the whole batch)."""

    user_activity_events: Vector  # the user's recent signals (capped)
    user_category_affinity: Vector  # 0..1
    user_follows_creator: Vector  # 0/1
    user_mean_price_fen: Vector  # mean price of what the user ordered; 0 when nothing
    price_fen: Vector  # the item's main product's price; 0 without a product
    kind_codes: Vector  # index into KINDS, -1 unknown
    duration_s: Vector
    age_s: Vector
    impressions: Vector  # the item's counts so far
    clicks: Vector
    buys: Vector
    refunds: Vector
    engagements: Vector
    creator_followers: Vector
    creator_rating: Vector
    merchant_quality: Vector  # 0..1
    merchant_new: Vector  # 0/1
    epoch_s: Vector  # when the item is (was) shown
    retrieval_score: Vector  # 0..1
    channel_codes: Vector  # index into CHANNELS
    user_item_cf: Vector  # ALS preference (EngineModel.cf_scores), 0 unknown


def feature_matrix(inputs: FeatureInputs) -> FloatArray:
    """The n × len(FEATURES) float32 matrix of `inputs`."""
    return assemble(feature_columns(inputs))


def feature_columns(x: FeatureInputs) -> dict[str, np.ndarray]:
    impressions = np.asarray(x.impressions, dtype=np.float64)
    clicks = np.minimum(np.asarray(x.clicks, dtype=np.float64), impressions)
    buys = np.minimum(np.asarray(x.buys, dtype=np.float64), clicks)
    refunds = np.minimum(np.asarray(x.refunds, dtype=np.float64), buys)
    item_price = price_log(np.maximum(np.asarray(x.price_fen, dtype=np.float64), 0.0))
    user_price = price_log(np.maximum(np.asarray(x.user_mean_price_fen, dtype=np.float64), 0.0))
    kinds = np.asarray(x.kind_codes, dtype=np.int64)
    channels = np.asarray(x.channel_codes, dtype=np.int64)
    columns: dict[str, np.ndarray] = {
        "user_activity": np.log1p(np.maximum(np.asarray(x.user_activity_events, np.float64), 0)),
        "user_category_affinity": np.asarray(x.user_category_affinity, dtype=np.float64),
        "user_follows_creator": np.asarray(x.user_follows_creator, dtype=np.float64),
        "user_price_level": user_price,
        "item_price_log": item_price,
        "item_duration_s": np.asarray(x.duration_s, dtype=np.float64),
        "item_age_h": np.maximum(np.asarray(x.age_s, dtype=np.float64), 0.0) / 3600.0,
        "item_ctr": smoothed_rate(clicks, impressions, PRIOR_P_CLICK),
        "item_cvr": smoothed_rate(buys, clicks, PRIOR_P_BUY_GIVEN_CLICK),
        "item_refund_rate": smoothed_rate(refunds, buys, PRIOR_P_REFUND_GIVEN_BUY),
        "item_popularity": np.log1p(np.maximum(np.asarray(x.engagements, np.float64), 0.0)),
        "creator_followers_log": np.log1p(
            np.maximum(np.asarray(x.creator_followers, np.float64), 0.0)
        ),
        "creator_rating": np.asarray(x.creator_rating, dtype=np.float64),
        "merchant_quality": np.asarray(x.merchant_quality, dtype=np.float64),
        "merchant_new": np.asarray(x.merchant_new, dtype=np.float64),
        "retrieval_score": np.asarray(x.retrieval_score, dtype=np.float64),
        "price_vs_user_level": price_vs_user_level(item_price, user_price),
        "user_item_cf": np.asarray(x.user_item_cf, dtype=np.float64),
        **hour_columns(local_hour(np.asarray(x.epoch_s, dtype=np.float64))),
    }
    for code, kind in enumerate(KINDS):
        columns[f"item_kind_{kind}"] = (kinds == code).astype(np.float32)
    for code, name in enumerate(CHANNELS):
        columns[f"channel_{name}"] = (channels == code).astype(np.float32)
    n = max((np.size(v) for v in columns.values()), default=1)
    return {name: np.broadcast_to(value, (n,)) for name, value in columns.items()}


def prior_heads(matrix: np.ndarray) -> Heads:
    """The heads before a ranker is trained, from the feature matrix alone:

        p_click = item_ctr × (1 + 2 × user_category_affinity) × (0.5 + 0.5 × retrieval_score)
        p_buy|click = item_cvr        p_refund|buy = item_refund_rate
        watch_s = PRIOR_WATCH_S × p_click / PRIOR_P_CLICK

    (the smoothed rates are the platform priors for items without history), so that even a
    fresh platform ranks what matches the user's interests and what others clicked first."""
    m = np.asarray(matrix, dtype=np.float32)

    def column(name: str) -> np.ndarray:
        return m[:, FEATURE_INDEX[name]]

    affinity = np.clip(column("user_category_affinity"), 0.0, 1.0)
    retrieval = np.clip(column("retrieval_score"), 0.0, 1.0)
    p_click = column("item_ctr") * (1.0 + 2.0 * affinity) * (0.5 + 0.5 * retrieval)
    return Heads(
        p_click=np.clip(p_click, 0.0, 1.0).astype(np.float32),
        p_buy_given_click=np.clip(column("item_cvr"), 0.0, 1.0).astype(np.float32),
        p_refund_given_buy=np.clip(column("item_refund_rate"), 0.0, 1.0).astype(np.float32),
        watch_s=(PRIOR_WATCH_S * p_click / PRIOR_P_CLICK).astype(np.float32),
    )

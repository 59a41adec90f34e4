"""The ranker's input columns, in one fixed order, and the one function that assembles them.

Training (offline, from exported behaviour) and serving (online, per feed request) both build a
`Mapping[str, array]` with exactly the names in `FEATURES` and call `assemble`, so the matrix a
model sees is built by the same code in both places (no training/serving skew). The small
encoders below (`price_log`, `smoothed_rate`, `hour_columns`, `channel_columns`,
`price_vs_user_level`) are the definitions of the derived columns; callers use them instead of
re-deriving the formulas.

Columns (what each one is; units; range):

User
- `user_activity`: log1p of the user's behaviour events in the profile window.
- `user_category_affinity`: the user's profile weight of the item's category, 0..1 (0 when the
  user never engaged with it).
- `user_follows_creator`: 1 when the user follows the item's creator, else 0.
- `user_price_level`: `price_log` of the mean price the user paid (0 when the user never paid).

Item
- `item_price_log`: `price_log(price_fen)` = log1p(price in yuan); 0 for content without a
  product.
- `item_kind_video`, `item_kind_live`, `item_kind_post`: one-hot of the content kind (all 0 for
  a bare product card).
- `item_duration_s`: the content's duration in seconds (0 for posts and product cards).
- `item_age_h`: hours since the item was published.
- `item_ctr`: `smoothed_rate(clicks, impressions)`.
- `item_cvr`: `smoothed_rate(purchases, clicks)`.
- `item_refund_rate`: `smoothed_rate(refunds, purchases)`.
- `item_popularity`: log1p of the item's engagements (clicks, likes, carts, orders) in the
  window.

Creator
- `creator_followers_log`: log1p of the creator's follower count.
- `creator_rating`: the creator's rating, 0..5.

Merchant
- `merchant_quality`: the shop's service-quality score, 0..1.
- `merchant_new`: 1 when the merchant counts as new (its buyers are mostly new customers, or
  it has just joined), else 0.

Context
- `hour_sin`, `hour_cos`: the request's local hour of day on the unit circle (`hour_columns`).

Retrieval
- `retrieval_score`: the fused retrieval score of the candidate, 0..1.
- `channel_<name>` for each name in `CHANNELS`: 1 for the channel that brought the candidate
  (`channel_columns`; a candidate several channels found may carry several 1s).

Cross
- `price_vs_user_level`: `item_price_log − user_price_level` when both are known, else 0
  (`price_vs_user_level`): positive means dearer than what the user usually pays.
- `user_item_cf`: the collaborative-filtering preference of the user for the item (the inner
  product of their ALS factors; for a user the model version does not know, the mean factors of
  the content they engaged with last), 0 when either is unknown: a personal signal for every
  candidate, whichever channel brought it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

FloatVector = npt.NDArray[np.float32]

CHANNELS: tuple[str, ...] = (
    "model",
    "session",
    "follow",
    "interest",
    "exploration",
    "fresh",
    "trending",
)
"""Names of the retrieval channels a candidate can come from (one feature column each)."""

CHANNEL_FEATURES: tuple[str, ...] = tuple(f"channel_{name}" for name in CHANNELS)

FEATURES: tuple[str, ...] = (
    # user
    "user_activity",
    "user_category_affinity",
    "user_follows_creator",
    "user_price_level",
    # item
    "item_price_log",
    "item_kind_video",
    "item_kind_live",
    "item_kind_post",
    "item_duration_s",
    "item_age_h",
    "item_ctr",
    "item_cvr",
    "item_refund_rate",
    "item_popularity",
    # creator
    "creator_followers_log",
    "creator_rating",
    # merchant
    "merchant_quality",
    "merchant_new",
    # context
    "hour_sin",
    "hour_cos",
    # retrieval
    "retrieval_score",
    *CHANNEL_FEATURES,
    # cross
    "price_vs_user_level",
    "user_item_cf",
)
"""The ranker's input columns, in the order of the matrix `assemble` returns."""

FEATURE_INDEX: Mapping[str, int] = {name: i for i, name in enumerate(FEATURES)}

FEATURE_SET: str = hashlib.sha256("\n".join(FEATURES).encode()).hexdigest()[:12]
"""A fingerprint of `FEATURES` (names and order): logged feature rows of another set are not
used for training."""

KINDS: tuple[str, ...] = ("video", "live", "post")
"""Content kinds with a one-hot column (`item_kind_<kind>`)."""

RATE_PRIOR_STRENGTH = 20.0
"""Pseudo-count of `smoothed_rate`: how many trials the prior is worth."""


def assemble(columns: Mapping[str, npt.ArrayLike], names: Sequence[str] = FEATURES) -> FloatVector:
    """The float32 matrix (n × len(names)) of `columns`, one column per name, in `names` order.

    Every name must be given, and nothing else. A column is a 1-D array of the n rows, or a
    scalar that applies to every row (a request's hour, say); when every column is a scalar
    there is one row. Raises ValueError naming the missing, unknown, ragged (wrong shape or
    length), non-numeric or non-finite columns."""
    given = set(columns)
    missing = [name for name in names if name not in given]
    unknown = sorted(given - set(names))
    problems: list[str] = []
    if missing:
        problems.append(f"missing columns: {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown columns: {', '.join(unknown)}")
    if problems:
        raise ValueError("; ".join(problems))
    arrays: dict[str, np.ndarray] = {}
    not_numeric: list[str] = []
    for name in names:
        value = np.asarray(columns[name])
        if value.dtype == np.bool_:
            value = value.astype(np.float32)
        if not (np.issubdtype(value.dtype, np.number)) or np.iscomplexobj(value):
            not_numeric.append(name)
            continue
        arrays[name] = value
    if not_numeric:
        raise ValueError(f"non-numeric columns: {', '.join(not_numeric)}")
    lengths = {name: len(a) for name, a in arrays.items() if a.ndim == 1}
    bad_shape = [name for name, a in arrays.items() if a.ndim > 1]
    n = max(lengths.values(), default=1)
    ragged = bad_shape + [name for name, length in lengths.items() if length != n]
    if ragged:
        shapes = ", ".join(f"{name} {arrays[name].shape}" for name in ragged)
        raise ValueError(f"ragged columns (expected {n} rows): {shapes}")
    matrix = np.empty((n, len(names)), dtype=np.float32)
    for j, name in enumerate(names):
        matrix[:, j] = arrays[name]
    not_finite = [name for j, name in enumerate(names) if not np.isfinite(matrix[:, j]).all()]
    if not_finite:
        raise ValueError(f"non-finite values in columns: {', '.join(not_finite)}")
    return matrix


# --- encoders of the derived columns --------------------------------------------------------


def price_log(price_fen: npt.ArrayLike) -> FloatVector:
    """log1p of the price in yuan (fen / 100); 0 for a price of 0 (no product)."""
    fen = np.asarray(price_fen, dtype=np.float64)
    if (fen < 0).any():
        raise ValueError("prices must not be negative")
    return np.log1p(fen / 100.0).astype(np.float32)


def smoothed_rate(
    successes: npt.ArrayLike,
    trials: npt.ArrayLike,
    prior: float,
    strength: float = RATE_PRIOR_STRENGTH,
) -> FloatVector:
    """(successes + strength × prior) / (trials + strength): a rate shrunk towards `prior`,
    so an item with few trials gets about the prior and one with many gets its own rate."""
    s = np.asarray(successes, dtype=np.float64)
    t = np.asarray(trials, dtype=np.float64)
    if (s < 0).any() or (t < s).any():
        raise ValueError("need 0 <= successes <= trials")
    if not 0.0 <= prior <= 1.0 or strength <= 0:
        raise ValueError("need 0 <= prior <= 1 and strength > 0")
    return ((s + strength * prior) / (t + strength)).astype(np.float32)


def hour_columns(hour: npt.ArrayLike) -> dict[str, FloatVector]:
    """`hour_sin`, `hour_cos` of a local hour of day (0..24, fractions allowed)."""
    angle = 2.0 * np.pi * np.asarray(hour, dtype=np.float64) / 24.0
    return {
        "hour_sin": np.sin(angle).astype(np.float32),
        "hour_cos": np.cos(angle).astype(np.float32),
    }


def kind_columns(kinds: Sequence[str | None]) -> dict[str, FloatVector]:
    """`item_kind_<kind>` one-hots for each row's content kind (None: a bare product card)."""
    unknown = sorted({k for k in kinds if k is not None and k not in KINDS})
    if unknown:
        raise ValueError(f"unknown content kinds: {', '.join(unknown)}")
    return {
        f"item_kind_{kind}": np.asarray([k == kind for k in kinds], dtype=np.float32)
        for kind in KINDS
    }


def channel_columns(channels: Sequence[str | Sequence[str]]) -> dict[str, FloatVector]:
    """`channel_<name>` one-hots: each row gives its channel name, or the names of every
    channel that found the candidate."""
    rows = [(c,) if isinstance(c, str) else tuple(c) for c in channels]
    unknown = sorted({name for row in rows for name in row if name not in CHANNELS})
    if unknown:
        raise ValueError(f"unknown channels: {', '.join(unknown)}")
    return {
        f"channel_{name}": np.asarray([name in row for row in rows], dtype=np.float32)
        for name in CHANNELS
    }


def price_vs_user_level(
    item_price_log: npt.ArrayLike, user_price_level: npt.ArrayLike
) -> FloatVector:
    """item_price_log − user_price_level where both are above 0, else 0."""
    item = np.asarray(item_price_log, dtype=np.float32)
    user = np.asarray(user_price_level, dtype=np.float32)
    both = (item > 0) & (user > 0)
    return np.where(both, item - user, np.float32(0.0)).astype(np.float32)

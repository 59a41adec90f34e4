"""What one published version of the engine holds, and how it is saved and loaded.

A version is content-level: item index i is one content item (`items.content_ids[i]`), user
index u one user (`user_ids[u]`). It holds
- the retrieval blend (`BlendRecommender`, saved by its own `save`), whose transition channel
  also serves the session channel (item-to-item neighbours of what a user engaged with last);
- the category co-affinity of the exploration channel (`CategoryExplorationChannel`) and the
  category response lift (`training.response_lift`);
- the multi-task ranker (`MultiTaskRanker`), or None when the log had no impressions to learn
  from (the engine then uses the prior heads);
- static per-item, per-creator and per-product arrays for the ranker's features, as of the end
  of the training window.
Everything is JSON, NumPy `.npz` (loaded with `allow_pickle=False`) or a LightGBM text model.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from xingqu.discovery.ranking.features import FEATURES
from xingqu.discovery.ranking.ranker import MultiTaskRanker
from xingqu.discovery.retrieval.als import ALSRecommender
from xingqu.discovery.retrieval.base import Recommender
from xingqu.discovery.retrieval.blend import BlendRecommender
from xingqu.discovery.retrieval.exploration import CategoryExplorationChannel
from xingqu.discovery.retrieval.item_pairs import weighted_row_sum
from xingqu.discovery.retrieval.transition import TransitionRecommender

log = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]

TABLES_FILE = "tables.npz"
BLEND_DIR = "blend"
EXPLORATION_DIR = "exploration"
RANKER_DIR = "ranker"
CATEGORY_LIST = 300
"""Items kept per category, most popular first (the interest and exploration channels)."""


@dataclass
class ItemTable:
    """Per item index: what the features need about each content item."""

    content_ids: IntArray
    category_ids: IntArray
    creator_ids: IntArray
    kinds: IntArray  # index into ranking.features.KINDS, -1 unknown
    durations: FloatArray
    published_s: IntArray  # Unix seconds
    price_fen: IntArray  # the first mounted product's cheapest price at training; 0 without
    shop_ids: IntArray  # that product's shop; -1 without
    impressions: FloatArray  # counts over the training window
    clicks: FloatArray
    buys: FloatArray
    refunds: FloatArray
    engagements: FloatArray

    def __len__(self) -> int:
        return len(self.content_ids)


@dataclass
class EngineModel:
    version: str
    items: ItemTable
    user_ids: IntArray  # user index → user id
    category_ids: IntArray  # category index (exploration) → category id
    creator_ids: IntArray  # sorted
    creator_followers: FloatArray
    creator_rating: FloatArray
    product_ids: IntArray  # sorted
    product_price_fen: IntArray
    blend: Recommender | None  # the retrieval model: a blend, or one estimator
    exploration: CategoryExplorationChannel | None
    ranker: MultiTaskRanker | None
    category_lift: FloatArray | None = None  # categories × categories (training.response_lift)
    # --- derived at load -------------------------------------------------------------------
    _content_order: IntArray = field(init=False, repr=False)
    _content_sorted: IntArray = field(init=False, repr=False)
    _user_order: IntArray = field(init=False, repr=False)
    _user_sorted: IntArray = field(init=False, repr=False)
    transition: TransitionRecommender | None = field(init=False, default=None)
    als: ALSRecommender | None = field(init=False, default=None)
    category_index: dict[int, int] = field(init=False, repr=False)
    category_items: dict[int, IntArray] = field(init=False, repr=False)  # id → item indices

    def __post_init__(self) -> None:
        self._content_order = np.argsort(self.items.content_ids, kind="stable")
        self._content_sorted = self.items.content_ids[self._content_order]
        self._user_order = np.argsort(self.user_ids, kind="stable")
        self._user_sorted = self.user_ids[self._user_order]
        parts: list[Recommender] = (
            list(self.blend.channels_)
            if isinstance(self.blend, BlendRecommender)
            else [self.blend]
            if self.blend is not None
            else []
        )
        for part in parts:
            if isinstance(part, TransitionRecommender):
                self.transition = part
            if isinstance(part, ALSRecommender):
                self.als = part
        self.category_index = {int(c): i for i, c in enumerate(self.category_ids)}
        self.category_items = _category_lists(self.items)

    # --- lookups ----------------------------------------------------------------------------

    def item_index(self, content_ids: npt.ArrayLike) -> IntArray:
        """Item indices of `content_ids` (-1 for content the version does not know)."""
        return _lookup(self._content_sorted, self._content_order, content_ids)

    def user_index(self, user_id: int) -> int:
        """The user's index, or -1 when the version does not know them."""
        return int(_lookup(self._user_sorted, self._user_order, [user_id])[0])

    def creator_stats(self, creator_ids: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """(followers, rating) of each creator (0 and 0 when unknown)."""
        where = _sorted_lookup(self.creator_ids, creator_ids)
        found = where >= 0
        followers = np.zeros(len(where), dtype=np.float32)
        rating = np.zeros(len(where), dtype=np.float32)
        followers[found] = self.creator_followers[where[found]]
        rating[found] = self.creator_rating[where[found]]
        return followers, rating

    def cf_scores(self, user_id: int, recent_items: IntArray, items: IntArray) -> FloatArray:
        """The ALS preference of the user for each of `items` (item indices, -1 unknown): their
        factors · the item's factors; a user the version does not know is folded in as the mean
        factors of `recent_items` (item indices of what they engaged with last); 0 where either
        side is unknown or the blend has no ALS channel."""
        out = np.zeros(len(items), dtype=np.float32)
        als = self.als
        if als is None or len(items) == 0:
            return out
        user = self.user_index(user_id)
        if 0 <= user < len(als.user_factors_):
            vector = als.user_factors_[user]
        else:
            known = recent_items[(recent_items >= 0) & (recent_items < len(als.item_factors_))]
            if len(known) == 0:
                return out
            vector = als.item_factors_[known].mean(axis=0)
        found = (items >= 0) & (items < len(als.item_factors_))
        out[found] = als.item_factors_[items[found]] @ vector
        return out

    def product_prices(self, product_ids: npt.ArrayLike) -> IntArray:
        """Training-time prices of products (0 when unknown)."""
        where = _sorted_lookup(self.product_ids, product_ids)
        out = np.zeros(len(where), dtype=np.int64)
        out[where >= 0] = self.product_price_fen[where[where >= 0]]
        return out

    # --- persistence --------------------------------------------------------------------------

    def save(self, folder: Path) -> dict[str, str]:
        """Write the version's components into `folder`; returns name → description."""
        folder.mkdir(parents=True, exist_ok=True)
        components: dict[str, str] = {}
        arrays: dict[str, np.ndarray] = {
            f"items.{name}": getattr(self.items, name) for name in _ITEM_FIELDS
        }
        arrays.update(
            user_ids=self.user_ids,
            category_ids=self.category_ids,
            creator_ids=self.creator_ids,
            creator_followers=self.creator_followers,
            creator_rating=self.creator_rating,
            product_ids=self.product_ids,
            product_price_fen=self.product_price_fen,
        )
        if self.category_lift is not None:
            arrays["category_lift"] = self.category_lift
        with (folder / TABLES_FILE).open("wb") as out:
            np.savez(out, **arrays)  # type: ignore[arg-type]
        components[TABLES_FILE] = (
            f"id maps and feature tables: {len(self.items)} items, {len(self.user_ids)} users"
        )
        if isinstance(self.blend, BlendRecommender):
            self.blend.save(folder / BLEND_DIR)
            weights = ", ".join(
                f"{n} {w:g}" for n, w in zip(self.blend.active_, self.blend.weights_, strict=True)
            )
            components[BLEND_DIR] = f"retrieval blend ({weights})"
        elif self.blend is not None:
            self.blend.save(folder / BLEND_DIR)
            components[BLEND_DIR] = f"retrieval model ({type(self.blend).__name__})"
        if self.exploration is not None:
            self.exploration.save(folder / EXPLORATION_DIR)
            components[EXPLORATION_DIR] = "category co-affinity (exploration channel)"
        if self.ranker is not None:
            self.ranker.save(folder / RANKER_DIR)
            fallbacks = "; ".join(self.ranker.fallbacks_.values()) or "all heads trained"
            components[RANKER_DIR] = f"multi-task ranker ({fallbacks})"
        return components

    @classmethod
    def load(cls, folder: Path, version: str) -> EngineModel:
        """The version saved in `folder` (one call; the ANN index is rebuilt here)."""
        with np.load(folder / TABLES_FILE, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        items = ItemTable(**{name: arrays[f"items.{name}"] for name in _ITEM_FIELDS})
        blend = Recommender.load(folder / BLEND_DIR) if (folder / BLEND_DIR).is_dir() else None
        exploration = (
            CategoryExplorationChannel.load(folder / EXPLORATION_DIR)
            if (folder / EXPLORATION_DIR).is_dir()
            else None
        )
        ranker = (
            MultiTaskRanker.load(folder / RANKER_DIR) if (folder / RANKER_DIR).is_dir() else None
        )
        if ranker is not None and (
            tuple(ranker.columns) != FEATURES or ranker.n_features_ != len(FEATURES)
        ):
            # a version trained before the feature columns changed: serve with the prior heads
            # until the next training rather than feed the ranker columns it never saw
            log.warning(
                "model version %s: its ranker knows %d feature columns, this code has %d; "
                "serving with the prior heads until the next training",
                version,
                ranker.n_features_,
                len(FEATURES),
            )
            ranker = None
        return cls(
            version=version,
            items=items,
            user_ids=arrays["user_ids"],
            category_ids=arrays["category_ids"],
            creator_ids=arrays["creator_ids"],
            creator_followers=arrays["creator_followers"],
            creator_rating=arrays["creator_rating"],
            product_ids=arrays["product_ids"],
            product_price_fen=arrays["product_price_fen"],
            category_lift=arrays.get("category_lift"),
            blend=blend,
            exploration=exploration,
            ranker=ranker,
        )


_ITEM_FIELDS = tuple(ItemTable.__dataclass_fields__)


def _lookup(ordered: IntArray, order: IntArray, wanted: npt.ArrayLike) -> IntArray:
    """Positions in the original array of each of `wanted` (-1 when absent), given that array
    sorted (`ordered`, kept at load: sorting per request cost a millisecond) and its argsort."""
    keys = np.asarray(wanted, dtype=np.int64)
    if len(ordered) == 0 or keys.size == 0:
        return np.full(keys.shape, -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(ordered, keys), len(ordered) - 1)
    return np.where(ordered[at] == keys, order[at], -1).astype(np.int64)


def _sorted_lookup(values: IntArray, wanted: npt.ArrayLike) -> IntArray:
    keys = np.asarray(wanted, dtype=np.int64)
    if len(values) == 0 or keys.size == 0:
        return np.full(keys.shape, -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(values, keys), len(values) - 1)
    return np.where(values[at] == keys, at, -1).astype(np.int64)


def _category_lists(items: ItemTable) -> dict[int, IntArray]:
    """category id → its items, most engaged first (then newest), at most `CATEGORY_LIST`."""
    if len(items) == 0:
        return {}
    order = np.lexsort((-items.published_s, -items.engagements, items.category_ids))
    categories = items.category_ids[order]
    bounds = np.flatnonzero(np.diff(categories)) + 1
    out: dict[int, IntArray] = {}
    for chunk in np.split(order, bounds):
        out[int(items.category_ids[chunk[0]])] = chunk[:CATEGORY_LIST].astype(np.int64)
    return out


def transition_neighbours(
    transition: TransitionRecommender, items: IntArray, weights: npt.ArrayLike, k: int
) -> tuple[IntArray, FloatArray]:
    """The `k` items most likely to follow `items` (weighted by `weights`) in the fitted
    transition matrix, best first, the given items themselves left out."""
    matrix: Any = transition.transitions_
    if len(items) == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    cols, vals = weighted_row_sum(matrix, items, np.asarray(weights, dtype=np.float32))
    keep = ~np.isin(cols, items) & (vals > 0)
    cols, vals = cols[keep], vals[keep]
    order = np.lexsort((cols, -vals))[:k]
    return cols[order], vals[order]

"""Re-ranking: turn valued candidates into one page, balancing value against variety.

Positions are filled one at a time (greedy MMR). At each position only *eligible* candidates
count: not yet placed, and under every cap — per page at most `max_per_creator` items of a
creator, `max_per_category` of a category, `max_per_shop` of a shop,
`max_per_unengaged_category` of a category the person has never engaged with (when the caller
says which they have: one item probes a category; more of it can wait for an answer), and,
over the caller's window, at most `creator_cap` exposures of a creator
(`recent_creator_exposure` plus what this page already shows). Caps are hard: when they leave nothing eligible the page ends early.

Among eligible candidates the MMR score is

    mmr = mmr_lambda × v̂ − (1 − mmr_lambda) × max over recent placed items of sim(candidate, it)
    sim(a, b) = category_penalty × [same category] + creator_penalty × [same creator]

where v̂ is the value scaled to 0..1 over all candidates (an unknown category or creator never
matches) and the recent placed items are the last `diversity_window` ones (None: all of them,
classic MMR). The caller's `category_fatigue` (category → 0.., what the person has already
been shown of the category and passed over: `rules.category_fatigue`) is a floor under a
candidate's similarity, as if an item of the same category had just been placed: a feed that
keeps offering what the person scrolls past learns nothing new about them. A window keeps
spreading categories and creators down a long feed page; classic MMR stops caring once every
category has been shown once. The best MMR score wins; ties go to the higher value, then the
lower key. Its reason is `value` when it is also the most valuable eligible candidate, else
`diversity`. Two kinds of positions override that choice:
- an exploration slot (a position in `exploration_slots`) takes the best eligible candidate of
  the `exploration` channel, when there is one (reason `exploration`);
- the new-merchant quota: by position p (0-based) at least floor(new_merchant_share × (p + 1))
  items of new merchants must be on the page; when the page is behind and the natural choice
  is not a new merchant's, the best eligible new merchant's candidate is placed instead
  (reason `new_merchant`). With none eligible the quota is simply not met: rerank never
  invents items.

Hard filters (delisted, under review, out of stock, sanctioned shop) are the caller's job.
Candidates with the same key are one candidate (the most valuable copy is kept; see `_unique`),
so a page never holds duplicates. Everything is deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from xingqu.discovery.ranking.features import CHANNELS

EXPLORATION_CHANNEL = "exploration"


class PlacementReason(StrEnum):
    """Why a candidate got its position."""

    VALUE = "value"
    DIVERSITY = "diversity"
    EXPLORATION = "exploration"
    NEW_MERCHANT = "new_merchant"


@dataclass(frozen=True)
class Candidate:
    """One hard-filtered candidate with its value (fen, from `QualityGmvValue`)."""

    key: int
    value: float
    category_id: int | None = None
    creator_id: int | None = None
    shop_id: int | None = None
    channel: str = "model"
    merchant_new: bool = False


@dataclass(frozen=True)
class Placed:
    """A candidate on the page: its 0-based position and why it is there."""

    candidate: Candidate
    position: int
    reason: PlacementReason


def _check_cap(name: str, value: int | None) -> None:
    if value is not None and (not isinstance(value, int) or value < 1):
        raise ValueError(f"{name} must be None or an integer >= 1, got {value!r}")


@dataclass(frozen=True)
class RerankPolicy:
    """Hyper-parameters of `rerank` (module docstring). Caps of None mean no cap."""

    mmr_lambda: float = 0.7
    category_penalty: float = 0.6
    creator_penalty: float = 0.4
    diversity_window: int | None = 4
    exploration_slots: tuple[int, ...] = (3, 9, 15)
    new_merchant_share: float = 0.15
    max_per_creator: int | None = 2
    max_per_category: int | None = 3
    max_per_unengaged_category: int | None = 1
    max_per_shop: int | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.mmr_lambda <= 1.0:
            raise ValueError("mmr_lambda must be in 0..1")
        if self.category_penalty < 0 or self.creator_penalty < 0:
            raise ValueError("category_penalty and creator_penalty must be >= 0")
        if any(not isinstance(p, int) or p < 0 for p in self.exploration_slots):
            raise ValueError("exploration_slots must be non-negative positions")
        if not 0.0 <= self.new_merchant_share <= 1.0:
            raise ValueError("new_merchant_share must be in 0..1")
        _check_cap("diversity_window", self.diversity_window)
        _check_cap("max_per_creator", self.max_per_creator)
        _check_cap("max_per_category", self.max_per_category)
        _check_cap("max_per_unengaged_category", self.max_per_unengaged_category)
        _check_cap("max_per_shop", self.max_per_shop)

    def new_merchant_quota(self, position: int) -> int:
        """How many new merchants' items positions 0..position must hold."""
        return math.floor(self.new_merchant_share * (position + 1) + 1e-9)


class _Group:
    """One capped attribute (creator, category or shop): counts per value and a blocked mask."""

    def __init__(
        self,
        ids: npt.NDArray[np.int64],
        known: npt.NDArray[np.bool_],
        limit: int | None,
        already: Mapping[int, int],
    ) -> None:
        self.ids, self.known, self.limit = ids, known, limit
        self.counts: dict[int, int] = dict(already)

    def place(self, value: int, blocked: npt.NDArray[np.bool_]) -> None:
        self.counts[value] = self.counts.get(value, 0) + 1
        if self.limit is not None and self.counts[value] >= self.limit:
            blocked |= self.known & (self.ids == value)

    def initially_blocked(self, blocked: npt.NDArray[np.bool_]) -> None:
        if self.limit is None:
            return
        full = [value for value, count in self.counts.items() if count >= self.limit]
        if full:  # (one pass: a day's exposure can name a couple of hundred creators)
            blocked |= self.known & np.isin(self.ids, np.asarray(full, dtype=np.int64))


def _ids(values: Sequence[int | None]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    known = np.asarray([v is not None for v in values], dtype=bool)
    ids = np.asarray([v if v is not None else 0 for v in values], dtype=np.int64)
    return ids, known


def _copy_order(candidate: Candidate) -> tuple[object, ...]:
    """Which of two equally valuable copies of an item is kept: the first by this key."""
    channel = candidate.channel
    known = channel in CHANNELS
    return (
        not known,
        CHANNELS.index(channel) if known else 0,
        channel,
        *((v is None, v or 0) for v in (candidate.category_id, candidate.creator_id)),
        (candidate.shop_id is None, candidate.shop_id or 0),
        candidate.merchant_new,
    )


def _unique(candidates: Sequence[Candidate]) -> list[Candidate]:
    """One candidate per key, sorted by value descending then key ascending — the tie-break
    order of every choice. Of several copies of a key the most valuable is kept; among equally
    valuable ones, the one whose channel comes first in `features.CHANNELS` (then by its other
    fields), so the result never depends on the input order."""
    best: dict[int, Candidate] = {}
    for candidate in candidates:
        if not math.isfinite(candidate.value):
            raise ValueError(f"candidate {candidate.key} has a non-finite value")
        kept = best.get(candidate.key)
        if (
            kept is None
            or candidate.value > kept.value
            or (candidate.value == kept.value and _copy_order(candidate) < _copy_order(kept))
        ):
            best[candidate.key] = candidate
    return sorted(best.values(), key=lambda c: (-c.value, c.key))


def rerank(
    candidates: Sequence[Candidate],
    k: int,
    policy: RerankPolicy,
    *,
    recent_creator_exposure: Mapping[int, int] | None = None,
    creator_cap: int | None = None,
    category_fatigue: Mapping[int, float] | None = None,
    engaged_categories: Collection[int] | None = None,
) -> list[Placed]:
    """At most `k` candidates in page order (module docstring)."""
    if not isinstance(k, int) or k < 0:
        raise ValueError(f"k must be a non-negative integer, got {k!r}")
    _check_cap("creator_cap", creator_cap)
    pool = _unique(candidates)
    n = len(pool)
    if n == 0 or k == 0:
        return []
    values = np.asarray([c.value for c in pool], dtype=np.float64)
    low, high = float(values.min()), float(values.max())
    scaled = (values - low) / (high - low) if high > low else np.zeros(n)
    categories, category_known = _ids([c.category_id for c in pool])
    creators, creator_known = _ids([c.creator_id for c in pool])
    shops, shop_known = _ids([c.shop_id for c in pool])
    exploring = np.asarray([c.channel == EXPLORATION_CHANNEL for c in pool], dtype=bool)
    new_merchant = np.asarray([c.merchant_new for c in pool], dtype=bool)

    blocked = np.zeros(n, dtype=bool)  # placed, or over a cap
    exposure = {int(c): int(v) for c, v in (recent_creator_exposure or {}).items()}
    groups = [
        _Group(creators, creator_known, policy.max_per_creator, {}),
        _Group(categories, category_known, policy.max_per_category, {}),
        _Group(shops, shop_known, policy.max_per_shop, {}),
        _Group(creators, creator_known, creator_cap, exposure),
    ]
    if engaged_categories is not None:
        engaged = np.isin(categories, np.fromiter(engaged_categories, np.int64))
        unengaged = category_known & ~engaged
        groups.append(_Group(categories, unengaged, policy.max_per_unengaged_category, {}))
    for group in groups:
        group.initially_blocked(blocked)

    slots = set(policy.exploration_slots)
    fatigue = category_fatigue or {}
    floor = np.array(
        [
            fatigue.get(int(c), 0.0) if known else 0.0
            for c, known in zip(categories, category_known, strict=True)
        ],
        dtype=np.float64,
    )
    if (floor < 0).any():
        raise ValueError("category fatigue must be >= 0")
    similarity = floor.copy()
    recent: list[npt.NDArray[np.float64]] = []  # sim to each placed item, in page order
    window = policy.diversity_window
    lam = policy.mmr_lambda
    placed: list[Placed] = []
    new_on_page = 0
    for position in range(k):
        eligible = ~blocked
        if not eligible.any():
            break
        mmr = np.where(eligible, lam * scaled - (1.0 - lam) * similarity, -np.inf)
        choice = int(np.argmax(mmr))  # pool order breaks ties: value desc, key asc
        most_valuable = int(np.argmax(eligible))  # first eligible in pool order
        reason = PlacementReason.VALUE if choice == most_valuable else PlacementReason.DIVERSITY
        if position in slots and (eligible & exploring).any():
            choice = int(np.argmax(np.where(exploring, mmr, -np.inf)))
            reason = PlacementReason.EXPLORATION
        elif (
            new_on_page < policy.new_merchant_quota(position)
            and not new_merchant[choice]
            and (eligible & new_merchant).any()
        ):
            choice = int(np.argmax(np.where(new_merchant, mmr, -np.inf)))
            reason = PlacementReason.NEW_MERCHANT
        placed.append(Placed(pool[choice], position, reason))
        new_on_page += int(new_merchant[choice])
        blocked[choice] = True
        for group in groups:
            if group.known[choice]:
                group.place(int(group.ids[choice]), blocked)
        same_category = category_known & (categories == categories[choice])
        same_creator = creator_known & (creators == creators[choice])
        if not category_known[choice]:
            same_category[:] = False
        if not creator_known[choice]:
            same_creator[:] = False
        recent.append(
            policy.category_penalty * same_category + policy.creator_penalty * same_creator
        )
        similarity = np.max([floor, *(recent if window is None else recent[-window:])], axis=0)
    return placed

"""Candidate retrieval for one feed request: each channel proposes content, best first.

Channels (`rules.Channel`), each given a quota of the candidate pool (`rules.candidate_quotas`):
- `model`: the published version's retrieval blend (transitions, EASE, ALS served through its
  ANN index, SASRec when trained), for users the version knows;
- `session`: item-to-item neighbours (the version's transition matrix) of the content the user
  engaged with last, read from the behaviour log at request time, so a watch seconds ago counts;
- `follow`: followed creators' newest content;
- `interest`: the user's top categories from the online profile, each category's most engaged
  content (the version's per-category lists; without a version, its newest content ranked by
  the recent window's popularity);
- `exploration`: latent interests — categories the user has never engaged with, chosen by a
  contextual Thompson-sampling bandit over (interest, category) pairs whose prior is the
  categories' co-affinity across users (`exploration.choose_categories`);
- `fresh`: the newest published content (a chance for new creators);
- `trending`: engagement over the recent window, at most two items of a category.

A candidate several channels propose is credited to the channel where it ranks best (ties: the
earlier channel of `rules.CHANNEL_PRIORITY`), and its retrieval score is that rank's strength
(`rules.rank_strength`). Content the user was shown recently is never proposed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from xingqu.discovery.engine.cards import ContentCache
from xingqu.discovery.engine.exploration import ExplorationArms, choose_categories
from xingqu.discovery.engine.model import EngineModel, transition_neighbours
from xingqu.discovery.engine.profile import OnlineProfile
from xingqu.discovery.popularity import Popularity
from xingqu.discovery.port import DataPort
from xingqu.discovery.rules import (
    CHANNEL_PRIORITY,
    Channel,
    allocate,
    candidate_quotas,
    interleave,
    rank_strength,
)

FOLLOW_WINDOW = timedelta(days=14)
PER_CATEGORY = 200  # newest content per interest category read without a model version
COLD_CATEGORIES = 3
TRENDING_PER_CATEGORY = 2
OVERFETCH = 2  # each channel proposes this many times its quota (seen content is skipped)
LIFT_FULL = 0.2  # a response lift of this much extra watch completion counts as full affinity


@dataclass(frozen=True, slots=True)
class Proposal:
    content_id: int
    channel: Channel
    strength: float  # 0..1, the rank strength in the channel that is credited


@dataclass(frozen=True)
class Retrieval:
    proposals: list[Proposal]  # best first within channel, channels in priority order
    explored: dict[int, int]  # explored category → its anchor (the interest it started from)


def retrieve(
    data: DataPort,
    content: ContentCache,
    model: EngineModel | None,
    profile: OnlineProfile,
    popularity: Popularity,
    arms: ExplorationArms,
    *,
    limit: int,
    now: datetime,
    rng: np.random.Generator,
    exploration_slots: int = 3,
    enabled: frozenset[Channel] = frozenset(Channel),
) -> Retrieval:
    """Every enabled channel's proposals for a page of `limit` items with `exploration_slots`
    positions for latent interests (module docstring)."""
    known_user = model.user_index(profile.user_id) if model is not None else -1
    explore = (
        _explored_categories(model, profile, arms, rng, explored_categories(exploration_slots))
        if model is not None and Channel.EXPLORATION in enabled
        else {}
    )
    available = [
        channel
        for channel in CHANNEL_PRIORITY
        if channel in enabled and _available(channel, model, profile, known_user, explore)
    ]
    quotas = candidate_quotas(limit, available)
    lists: dict[Channel, list[int]] = {}
    for channel in available:
        want = quotas[channel] * OVERFETCH + len(profile.seen) // 4
        lists[channel] = _unseen(
            _propose(
                channel, data, content, model, profile, popularity, known_user, explore, want, now
            ),
            profile.seen,
            quotas[channel],
        )
    return Retrieval(merge(lists), explore)


def merge(lists: dict[Channel, list[int]]) -> list[Proposal]:
    """One proposal per content item, credited to the channel where it ranks best."""
    best: dict[int, tuple[float, int, Channel]] = {}
    for channel in CHANNEL_PRIORITY:
        ranked = lists.get(channel)
        if not ranked:
            continue
        strengths = rank_strength(len(ranked))
        order = CHANNEL_PRIORITY.index(channel)
        for content_id, strength in zip(ranked, strengths, strict=True):
            held = best.get(content_id)
            if held is None or (strength, -order) > (held[0], -held[1]):
                best[content_id] = (float(strength), order, channel)
    return [
        Proposal(cid, channel, strength)
        for cid, (strength, _, channel) in sorted(
            best.items(), key=lambda kv: (kv[1][1], -kv[1][0], kv[0])
        )
    ]


def _available(
    channel: Channel,
    model: EngineModel | None,
    profile: OnlineProfile,
    known_user: int,
    explore: dict[int, int],
) -> bool:
    match channel:
        case Channel.MODEL:
            return model is not None and model.blend is not None and known_user >= 0
        case Channel.SESSION:
            return (
                model is not None and model.transition is not None and bool(profile.recent_content)
            )
        case Channel.FOLLOW:
            return bool(profile.follows)
        case Channel.INTEREST:
            return bool(profile.interests)
        case Channel.EXPLORATION:
            return bool(explore)
        case _:
            return True


def _propose(
    channel: Channel,
    data: DataPort,
    content: ContentCache,
    model: EngineModel | None,
    profile: OnlineProfile,
    popularity: Popularity,
    known_user: int,
    explore: dict[int, int],
    want: int,
    now: datetime,
) -> list[int]:
    match channel:
        case Channel.MODEL:
            assert model is not None and model.blend is not None
            items, _ = model.blend.recommend(np.array([known_user]), want)
            return _content(model, items[0])
        case Channel.SESSION:
            assert model is not None and model.transition is not None
            recent = model.item_index(profile.recent_content)
            known = recent >= 0
            weights = 0.5 ** np.arange(len(recent), dtype=np.float64)
            items, _ = transition_neighbours(model.transition, recent[known], weights[known], want)
            return _content(model, items)
        case Channel.FOLLOW:
            rows = content.newest_by_creators(
                data, profile.follows, since=now - FOLLOW_WINDOW, limit=want, at=now
            )
            return [cid for cid, _, _ in rows]
        case Channel.INTEREST:
            return _by_categories(data, model, popularity, profile.interests, want)
        case Channel.EXPLORATION:
            assert model is not None
            share = 1.0 / len(explore)
            return _by_categories(data, model, popularity, [(c, share) for c in explore], want)
        case Channel.FRESH:
            return [cid for cid, _, _ in content.newest(data, want, now)]
        case Channel.TRENDING:
            return _trending(model, popularity, want)
    raise AssertionError(channel)  # pragma: no cover


def _trending(model: EngineModel | None, popularity: Popularity, want: int) -> list[int]:
    """The most engaged content of the recent window, at most `TRENDING_PER_CATEGORY` of a
    category (by the version's item table; content it does not know is not capped): a spread of
    categories, so that a newcomer's first pages can meet their interests instead of the same
    few best-sellers everyone sees."""
    if model is None:
        return [cid for cid, _ in popularity.ranked[:want]]
    ranked = [cid for cid, _ in popularity.ranked[: want * 8]]
    index = model.item_index(ranked)
    categories = np.where(index >= 0, model.items.category_ids[np.maximum(index, 0)], -1)
    taken: dict[int, int] = {}
    out: list[int] = []
    for content_id, category in zip(ranked, categories.tolist(), strict=True):
        if category >= 0:
            if taken.get(category, 0) >= TRENDING_PER_CATEGORY:
                continue
            taken[category] = taken.get(category, 0) + 1
        out.append(content_id)
        if len(out) == want:
            break
    return out


def _content(model: EngineModel, items: np.ndarray) -> list[int]:
    ids: list[int] = model.items.content_ids[items[items >= 0]].tolist()
    return ids


def _unseen(ranked: Iterable[int], seen: frozenset[int], n: int) -> list[int]:
    out: list[int] = []
    for content_id in ranked:
        if content_id not in seen and content_id not in out:
            out.append(content_id)
            if len(out) == n:
                break
    return out


def _by_categories(
    data: DataPort,
    model: EngineModel | None,
    popularity: Popularity,
    shares: Sequence[tuple[int, float]],
    want: int,
) -> list[int]:
    """The best content of each category, mixed in proportion to the categories' shares."""
    counts = allocate([share for _, share in shares], want)
    queues: list[list[int]] = []
    missing = [c for c, _ in shares if model is None or c not in model.category_items]
    newest = data.published_in_categories(missing, per_category=PER_CATEGORY) if missing else {}
    for (category, _), n in zip(shares, counts, strict=True):
        if model is not None and category in model.category_items:
            queue = _content(model, model.category_items[category])
        else:
            queue = sorted(newest.get(category, []), key=lambda c: -popularity.points.get(c, 0.0))
        queues.append(queue[: max(n, 1) * OVERFETCH])
    return interleave(queues, [share for _, share in shares], want)


def explored_categories(slots: int) -> int:
    """How many categories a page with `slots` exploration positions explores: one per slot,
    since a page shows one item of a category the person never engaged with
    (`RerankPolicy.max_per_unengaged_category`)."""
    return max(0, slots)


def _explored_categories(
    model: EngineModel,
    profile: OnlineProfile,
    arms: ExplorationArms,
    rng: np.random.Generator,
    n: int,
) -> dict[int, int]:
    """Up to `n` categories the user has never engaged with, chosen by the bandit
    (`exploration.choose_categories`) with the version's co-affinity as its prior; category →
    the interest category (anchor) the choice came from."""
    candidates = sorted(set(model.category_items) - profile.engaged_categories)
    if not candidates:
        return {}
    chosen = choose_categories(
        arms,
        profile.interests,
        candidates,
        _coaffinity(model, [c for c, _ in profile.interests]),
        rng,
        n,
        leaning=profile.leaning,
        passed=profile.passed_over,
    )
    return dict(chosen)


def is_cold(profile: OnlineProfile) -> bool:
    """Too little is known of the person's taste: the feed explores more (more exploration slots,
    so more categories) to find it sooner."""
    return len(profile.engaged_categories) < COLD_CATEGORIES


def _coaffinity(model: EngineModel, anchors: Sequence[int]) -> dict[tuple[int, int], float]:
    """(anchor, category) → how well the category is likely to suit people anchored on the
    anchor, 0..1: the larger of the pair's NPMI in the exploration channel and its response
    lift (`training.response_lift`, full at `LIFT_FULL` of extra watch completion)."""
    out: dict[tuple[int, int], float] = {}
    npmi = model.exploration.affinity_ if model.exploration is not None else None
    lift = model.category_lift
    for anchor in anchors:
        index = model.category_index.get(anchor)
        if index is None:
            continue
        if npmi is not None and index < npmi.shape[0]:
            row = npmi.getrow(index)
            for column, value in zip(row.indices, row.data, strict=True):
                out[(anchor, int(model.category_ids[column]))] = float(value)
        if lift is not None and index < lift.shape[0]:
            for column in np.flatnonzero(lift[index] > 0):
                key = (anchor, int(model.category_ids[column]))
                out[key] = max(out.get(key, 0.0), min(1.0, float(lift[index, column]) / LIFT_FULL))
    return out

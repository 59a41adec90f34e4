"""How well recommendations recover the simulated people's interests, measured against the truth.

Pure functions over the simulator's ground truth (`SimTruth`) and, per user, the categories of a
recommended list in rank order. The platform never sees the truth; only evaluations do.

- `latent_hit_rate`: share of users (with latent interests) whose list shows at least one item
  of a latent category;
- `latent_recall`: mean share of a user's latent categories that the list shows;
- `latent_share`: mean share of the list's slots given to the user's latent categories;
- `unrevealed_recall`: `latent_recall` over only the latent categories the user has not engaged
  with yet (what only discovery can find), for users who have any;
- `interest_ndcg`: nDCG of the list with each slot's gain the user's true interest weight in
  its category (all users with interests): does the ranking follow what people really like?
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from xingqu.sim.truth import SimTruth


@dataclass(frozen=True, slots=True)
class Recovery:
    users: int
    latent_users: int
    unrevealed_users: int
    latent_hit_rate: float
    latent_recall: float
    latent_share: float
    unrevealed_recall: float
    interest_ndcg: float


def latent_recovery(
    lists: Mapping[int, Sequence[int]],
    truth: SimTruth,
    *,
    k: int,
    revealed: Mapping[int, set[int]] | None = None,
) -> Recovery:
    """Score `lists` (user id → category ids of the recommended items, best first; the first
    `k` count) against the truth. `revealed` (user id → categories the user has engaged with)
    enables `unrevealed_recall`. Users without a list are not counted."""
    if k < 1:
        raise ValueError("k must be at least 1")
    ids = {c.code: c.id for c in truth.categories}
    hits: list[float] = []
    recalls: list[float] = []
    shares: list[float] = []
    unrevealed: list[float] = []
    ndcgs: list[float] = []
    for user in truth.users:
        if user.user_id not in lists:
            continue
        shown = list(lists[user.user_id])[:k]
        weights = {ids[code]: w for code, w in user.interests.items()}
        ndcgs.append(_ndcg([weights.get(c, 0.0) for c in shown], sorted(weights.values()), k))
        latent = {ids[code] for code in user.latent}
        if not latent:
            continue
        present = latent & set(shown)
        hits.append(1.0 if present else 0.0)
        recalls.append(len(present) / len(latent))
        shares.append(sum(1 for c in shown if c in latent) / k)
        if revealed is not None:
            hidden = latent - revealed.get(user.user_id, set())
            if hidden:
                unrevealed.append(len(hidden & set(shown)) / len(hidden))
    return Recovery(
        users=len(ndcgs),
        latent_users=len(hits),
        unrevealed_users=len(unrevealed),
        latent_hit_rate=_mean(hits),
        latent_recall=_mean(recalls),
        latent_share=_mean(shares),
        unrevealed_recall=_mean(unrevealed),
        interest_ndcg=_mean(ndcgs),
    )


def _ndcg(gains: list[float], all_weights: list[float], k: int) -> float:
    """DCG of the list over the best possible DCG: the user's weights, best first, each of the
    `k` slots able to repeat a category (lists may show several items of one category)."""
    best = max(all_weights, default=0.0)
    ideal = sum(best / math.log2(rank + 2) for rank in range(k))
    if ideal <= 0:
        return 0.0
    return sum(g / math.log2(rank + 2) for rank, g in enumerate(gains)) / ideal


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0

"""Holding out one interaction per user from fit data, to tune a model on what it did not see.

"last" holds out each user's most recent interaction (the next-item task of leave-one-out
benchmarks and of a feed); "random" holds out a random one (the task of random splits).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from xingqu.discovery.interactions import Interactions

IntArray = npt.NDArray[np.int64]
HOLDOUTS = ("last", "random")


def hold_out(
    data: Interactions, how: str, *, seed: int = 0, max_users: int | None = None
) -> tuple[Interactions, IntArray, IntArray]:
    """(the rest, users, their held-out items): one interaction for each user with at least
    two distinct items (at most `max_users` of them, chosen at random). Every interaction of
    a user with their held-out item leaves the rest, so that it is not excluded as seen."""
    if how not in HOLDOUTS:
        raise ValueError(f"holdout must be one of {HOLDOUTS}")
    rng = np.random.default_rng(seed)
    order = data.time_order()
    users = data.user_ids[order]
    starts = np.searchsorted(users, np.arange(data.n_users))
    ends = np.searchsorted(users, np.arange(data.n_users), side="right")
    distinct = np.zeros(data.n_users, dtype=np.int64)
    if len(data):
        pairs = np.unique(data.user_ids.astype(np.int64) * data.n_items + data.item_ids)
        distinct = np.bincount(pairs // data.n_items, minlength=data.n_users)
    eligible = np.flatnonzero(distinct >= 2)
    if max_users is not None and len(eligible) > max_users:
        eligible = np.sort(rng.choice(eligible, max_users, replace=False))
    if how == "last":
        position = ends[eligible] - 1
    else:
        position = starts[eligible] + (
            rng.random(len(eligible)) * (ends - starts)[eligible]
        ).astype(np.int64)
    held = data.item_ids[order][position].astype(np.int64)
    held_keys = eligible * data.n_items + held
    keys = data.user_ids.astype(np.int64) * data.n_items + data.item_ids
    return data.subset(~np.isin(keys, held_keys)), eligible, held

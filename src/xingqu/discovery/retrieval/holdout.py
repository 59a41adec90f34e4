"""Holding out one interaction per user from fit data, to tune a model on what it did not see.

"last" holds out each user's most recent interaction (the next-item task of leave-one-out
benchmarks and of a feed); "random" holds out a random one (the task of random splits);
"period" cuts the data in time: the rest is everything before the last `period` timestamp units
(for every user), and each user's held-out item is the first item they met in that final
period and had never met before (the task of a time split such as "fit on the days before,
predict tomorrow's new items").
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from xingqu.discovery.interactions import Interactions

IntArray = npt.NDArray[np.int64]
HOLDOUTS = ("last", "random", "period")


def hold_out(
    data: Interactions,
    how: str,
    *,
    seed: int = 0,
    max_users: int | None = None,
    period: float | None = None,
) -> tuple[Interactions, IntArray, IntArray]:
    """(the rest, users, their held-out items): one interaction for each user with at least
    two distinct items (at most `max_users` of them, chosen at random). Every interaction of
    a user with their held-out item leaves the rest, so that it is not excluded as seen.
    "period" needs `period` (see the module) and timestamps."""
    if how not in HOLDOUTS:
        raise ValueError(f"holdout must be one of {HOLDOUTS}")
    rng = np.random.default_rng(seed)
    if how == "period":
        return _hold_out_period(data, period, rng, max_users)
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


def _hold_out_period(
    data: Interactions, period: float | None, rng: np.random.Generator, max_users: int | None
) -> tuple[Interactions, IntArray, IntArray]:
    if period is None or period <= 0 or data.timestamps is None:
        raise ValueError("the period holdout needs a positive period and timestamps")
    if len(data) == 0:
        return data, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    times = data.timestamps.astype(np.float64)
    before = times <= times.max() - period
    seen = np.unique(data.user_ids[before].astype(np.int64) * data.n_items + data.item_ids[before])
    order = data.time_order()
    late = order[~before[order]]
    keys = data.user_ids[late].astype(np.int64) * data.n_items + data.item_ids[late]
    new = late[~np.isin(keys, seen)]
    users = data.user_ids[new]
    first = np.ones(len(new), dtype=bool)
    first[1:] = users[1:] != users[:-1]  # time_order sorts by user, then time
    eligible, held = users[first].astype(np.int64), data.item_ids[new][first].astype(np.int64)
    if max_users is not None and len(eligible) > max_users:
        pick = np.sort(rng.choice(len(eligible), max_users, replace=False))
        eligible, held = eligible[pick], held[pick]
    return data.subset(before), eligible, held

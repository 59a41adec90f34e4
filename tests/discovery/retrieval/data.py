"""A small dataset with known answers, shared by the retrieval tests.

Two disjoint groups of users and items. Group A (users 0–7) each go 0 → 1 → 2, then 3 → 4;
group B (users 8–13) each go 6 → 7 → 8, then 9 → 10. Items 5 and 11 are rare extras (user 0
and user 8), and user 0 came back to item 3 twice, making it the most popular item. Two query users
stopped early: user 14 saw 0, 1 (the obvious next item is 2, the co-liked ones 2, 3, 4) and
user 15 saw 6, 7 (next: 8; co-liked: 8, 9, 10). User 16 has no history. Categories: 0 = {0,
1, 2}, 1 = {3, 4, 5}, 2 = {6, 7, 8}, 3 = {9, 10, 11}; item 12 has none and nobody touched it.
"""

from __future__ import annotations

import numpy as np

from xingqu.discovery.interactions import Interactions

N_USERS = 17
N_ITEMS = 13
GROUP_A = range(8)
GROUP_B = range(8, 14)
QUERY_A, QUERY_B, NO_HISTORY = 14, 15, 16
CATEGORIES = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, -1])


def two_groups() -> Interactions:
    sequences: dict[int, list[int]] = {}
    for user in GROUP_A:
        sequences[user] = [0, 1, 2, 3, 4]
    for user in GROUP_B:
        sequences[user] = [6, 7, 8, 9, 10]
    sequences[0] = [*sequences[0], 5, 3, 3]
    sequences[8] = [*sequences[8], 11]
    sequences[QUERY_A] = [0, 1]
    sequences[QUERY_B] = [6, 7]
    users, items, times = [], [], []
    for user, sequence in sequences.items():
        for step, item in enumerate(sequence):
            users.append(user)
            items.append(item)
            times.append(1_000 * user + 10 * step)
    # shuffled input: the estimators must order by timestamp themselves
    order = np.random.default_rng(7).permutation(len(users))
    return Interactions(
        user_ids=np.array(users, dtype=np.int64)[order],
        item_ids=np.array(items, dtype=np.int64)[order],
        n_users=N_USERS,
        n_items=N_ITEMS,
        timestamps=np.array(times, dtype=np.int64)[order],
        item_categories=CATEGORIES,
    )

"""The Taobao time split and its labelled impressions (see `splits` for the protocol)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from xingqu.discovery.evaluation.datasets import TAOBAO_BUY, TAOBAO_START
from xingqu.discovery.evaluation.errors import EvaluationError
from xingqu.discovery.evaluation.splits import (
    SEED,
    BoolArray,
    ByteArray,
    Impressions,
    Split,
    Stage,
    cut_parts,
)
from xingqu.discovery.interactions import IntArray, Interactions
from xingqu.shared.errors import invalid

NEGATIVES_PER_POSITIVE = 4
DAY_SECONDS = 86_400
TAOBAO_VALID_DAY = 7  # 2017-12-02, counted from 2017-11-25 (China time)
TAOBAO_TEST_DAY = 8  # 2017-12-03


def taobao_by_day(name: str, data: Interactions, behaviours: ByteArray, *, buy_only: bool) -> Split:
    """Days before 12-02 → train, 12-02 → valid, 12-03 → test; targets as in the docstring."""
    if data.timestamps is None:
        raise invalid(EvaluationError.INVALID_PROTOCOL, "a time split needs timestamps")
    day = (data.timestamps - TAOBAO_START) // DAY_SECONDS
    part = np.where(day >= TAOBAO_TEST_DAY, 2, np.where(day == TAOBAO_VALID_DAY, 1, 0)).astype(
        np.int8
    )
    targets = {
        stage_day: _new_item_rows(data, behaviours, day, stage_day, buy_only=buy_only)
        for stage_day in (TAOBAO_VALID_DAY, TAOBAO_TEST_DAY)
    }
    meta = {
        "protocol": "time split (UTC+8 days): train < 2017-12-02, valid = 12-02, test = 12-03",
        "target": "first purchase of a new item"
        if buy_only
        else "first interaction with a new item",
        "negatives_per_positive": NEGATIVES_PER_POSITIVE,
        "seed": SEED,
    }
    split = cut_parts(
        name,
        data,
        part,
        valid_target=targets[TAOBAO_VALID_DAY],
        test_target=targets[TAOBAO_TEST_DAY],
        behaviours=behaviours,
        meta=meta,
    )
    impressions: dict[str, Impressions] = {
        "valid": taobao_impressions(split, "valid"),
        "test": taobao_impressions(split, "test"),
    }
    return replace(split, impressions=impressions)


def _new_item_rows(
    data: Interactions, behaviours: ByteArray, day: IntArray, stage_day: int, *, buy_only: bool
) -> BoolArray:
    """Rows of `stage_day` that are the first (purchase of / interaction with) an item the user
    had not interacted with before that day."""
    n_items = data.n_items
    before = data.user_ids[day < stage_day] * n_items + data.item_ids[day < stage_day]
    keys = data.user_ids * n_items + data.item_ids
    candidate = (day == stage_day) & ~np.isin(keys, before)
    if buy_only:
        candidate &= behaviours == TAOBAO_BUY
    # among candidate rows, keep the earliest row of each (user, item)
    order = np.lexsort(
        (np.arange(len(data)), day if data.timestamps is None else data.timestamps, keys)
    )
    ordered = order[candidate[order]]
    ordered_keys = keys[ordered]
    chosen = np.zeros(len(data), dtype=bool)
    chosen[ordered[np.r_[True, ordered_keys[1:] != ordered_keys[:-1]]]] = True
    return chosen


def taobao_impressions(split: Split, stage: Stage) -> Impressions:
    """Clicked rows and sampled shown-not-clicked rows for one stage day (module docstring)."""
    day_part = split.valid if stage == "valid" else split.test
    codes = (split.behaviours or {})["valid" if stage == "valid" else "test"]
    n_items = split.n_items
    keys = day_part.user_ids * n_items + day_part.item_ids
    bought = np.unique(keys[codes == TAOBAO_BUY])
    positives = np.unique(keys)
    day_traffic = np.bincount(day_part.item_ids, minlength=n_items).astype(np.float64)
    rng = np.random.default_rng(SEED + (TAOBAO_VALID_DAY if stage == "valid" else TAOBAO_TEST_DAY))
    pos_users = positives // n_items
    users, starts = np.unique(pos_users, return_index=True)
    ends = np.r_[starts[1:], len(positives)]
    drawable = np.flatnonzero(day_traffic > 0)
    weights = day_traffic[drawable]
    neg_users: list[IntArray] = []
    neg_items: list[IntArray] = []
    for user, start, end in zip(users.tolist(), starts.tolist(), ends.tolist(), strict=True):
        own = positives[start:end] % n_items
        allowed = ~np.isin(drawable, own)
        wanted = min(NEGATIVES_PER_POSITIVE * len(own), int(allowed.sum()))
        if wanted == 0:
            continue
        p = weights * allowed
        chosen = rng.choice(drawable, size=wanted, replace=False, p=p / p.sum())
        neg_users.append(np.full(wanted, user, dtype=np.int64))
        neg_items.append(np.sort(chosen).astype(np.int64))
    n_negative = sum(len(items) for items in neg_items)
    all_users = np.concatenate([pos_users, *neg_users])
    all_items = np.concatenate([positives % n_items, *neg_items])
    click = np.r_[np.ones(len(positives), np.int8), np.zeros(n_negative, np.int8)]
    buy = np.r_[np.isin(positives, bought).astype(np.int8), np.zeros(n_negative, np.int8)]
    order = np.lexsort((all_items, all_users))
    return Impressions(all_users[order], all_items[order], click[order], buy[order])

"""Ranker heads on real impression-level data: AUC/GAUC of the click and purchase heads.

usage: python bench/ranker_heads.py [--out bench/results/ranker_heads.json] [--datasets taobao,ali-ccp]

Taobao UserBehavior sample (`../shared/data/taobao-userbehavior-sample`, 815 users):
- An *impression* is a (user, item, day) on which the user has any row for the item (nearly
  always a `pv`, a view of the item's page). The data has no shown-but-ignored rows, so the
  pv itself cannot be a click label. Labels, per impression:
  - `click` (engagement): the user carted, faved or bought the item that day;
  - `buy`: the user bought the item that day (every buy is also an engagement, so buy | click
    is well defined); no refund or watch-time data: those heads fall back to their priors.
- Time split in China time: impressions of 2017-11-26..12-01 train, 12-02 validates (the
  hyper-parameters are picked there, by the mean of the click and purchase GAUC), 12-03 is the
  test day; the chosen model is refitted on 11-26..12-02 before the test. 11-25 has no history
  and is used only as history.
- Features of an impression come only from the days before it (never from its own day, except
  the hour of its first row). Two column sets, the same `MultiTaskRanker` API:
  - `features`: the production `FEATURES` — the columns the data can fill (user_activity,
    user_category_affinity, item_ctr (= engagement rate), item_cvr (= buy | engagement rate),
    item_popularity, hour_sin, hour_cos, price_vs_user_level = 0, ...) and zeros for the rest;
  - `taobao`: a dataset-specific list: those columns plus what this log offers beyond them
    (the user's earlier views and engagements of the same item and category, rates of the
    user and the category, days since the item was first seen).
- Baselines score each impression with one prior: item popularity (log events before the
  day), the item's smoothed engagement / purchase rate, the user's affinity to its category.
- Purchase metrics score an impression by p(click) × p(buy | click) (the baselines by their
  own score); buy | click is measured on the engaged test impressions only.

Ali-CCP sample (`../shared/data/ali-ccp-sample`): 100/50/50 rows with 7/3/2 clicks and one
purchase per file (its SOURCE.md: schema fixtures, not for evaluation). The ranker is fitted
on the train file with its own 30 columns to show the path works and which heads fall back;
its test AUCs rest on 2 clicks and are printed only as such.

One thread (LightGBM num_threads=1; BLAS/OpenMP pinned before NumPy loads).
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, replace  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import lightgbm  # noqa: E402
import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402

from xingqu.discovery.evaluation.datasets import (  # noqa: E402
    TAOBAO_BEHAVIOURS,
    TAOBAO_START,
    data_root,
    load_dataset,
)
from xingqu.discovery.evaluation.metrics import auc, gauc  # noqa: E402
from xingqu.discovery.evaluation.splits import Impressions  # noqa: E402
from xingqu.discovery.evaluation.taobao_split import (  # noqa: E402
    taobao_by_day,
    taobao_impressions,
)
from xingqu.discovery.ranking import FEATURES, Labels, MultiTaskRanker, assemble  # noqa: E402
from xingqu.discovery.ranking.features import hour_columns, smoothed_rate  # noqa: E402

DAY = 86_400
FIRST_TRAIN_DAY, VALID_DAY, TEST_DAY = 1, 7, 8
BUY = TAOBAO_BEHAVIOURS.index("buy")
ENGAGE = tuple(TAOBAO_BEHAVIOURS.index(b) for b in ("cart", "fav", "buy"))
GRID: tuple[dict[str, Any], ...] = tuple(
    {"n_estimators": n, "learning_rate": 0.05, "num_leaves": leaves, "min_child_samples": 50}
    for n in (100, 300)
    for leaves in (7, 31)
)
"""Hyper-parameters tried on the validation day (the same grid for both column sets)."""

TAOBAO_EXTRA: tuple[str, ...] = (
    "user_item_prior_events",
    "user_item_prior_engaged",
    "user_category_prior_engaged",
    "user_engage_rate",
    "user_buy_count",
    "category_popularity",
    "category_engage_rate",
    "category_buy_rate",
    "item_buy_rate",
    "item_seen_days",
)
TODAY_COLUMNS: tuple[str, ...] = (
    "hour_sin",
    "hour_cos",
    "user_events_earlier_today",
    "user_category_events_earlier_today",
)
"""Columns that need the impression's own time (0 under protocol B: negatives have none)."""
TAOBAO_COLUMNS: tuple[str, ...] = (
    "user_activity",
    "user_category_affinity",
    "item_ctr",
    "item_cvr",
    "item_popularity",
    *TAOBAO_EXTRA,
)

Vector = npt.NDArray[np.float64]


# --- Taobao: the log, its view impressions, and features from earlier days ------------------


@dataclass(frozen=True)
class TaobaoLog:
    """The sample's rows (China-time day 0 = 2017-11-25) and its view impressions: one per
    (user, item, day) with any row, labelled by that day's engagement and purchase."""

    users: npt.NDArray[np.int64]
    items: npt.NDArray[np.int64]
    cats: npt.NDArray[np.int64]
    seconds: npt.NDArray[np.int64]
    day: npt.NDArray[np.int64]
    n_items: int
    n_cats: int
    item_cat: npt.NDArray[np.int64]
    imp_user: npt.NDArray[np.int64]
    imp_item: npt.NDArray[np.int64]
    imp_day: npt.NDArray[np.int64]
    imp_first_row: npt.NDArray[np.int64]
    click: npt.NDArray[np.int8]
    buy: npt.NDArray[np.int8]


def taobao_log() -> TaobaoLog:
    data = load_dataset("taobao")
    inter, behaviours = data.interactions, data.behaviours
    assert inter.timestamps is not None and behaviours is not None
    assert inter.item_categories is not None
    users, items = inter.user_ids, inter.item_ids
    seconds = inter.timestamps - TAOBAO_START
    day = seconds // DAY
    item_cat = np.maximum(inter.item_categories, 0)
    cats = item_cat[items]
    n_items = inter.n_items
    key = (users * n_items + items) * 16 + day
    order = np.lexsort((seconds, key))
    first = order[np.r_[True, key[order][1:] != key[order][:-1]]]
    group = np.searchsorted(key[first], key)
    engaged = np.bincount(group, weights=np.isin(behaviours, ENGAGE), minlength=len(first))
    bought = np.bincount(group, weights=behaviours == BUY, minlength=len(first))
    return TaobaoLog(
        users, items, cats, seconds, day, n_items, int(item_cat.max()) + 1, item_cat,
        users[first], items[first], day[first], first,
        (engaged > 0).astype(np.int8), (bought > 0).astype(np.int8),
    )  # fmt: skip


def _counts(keys: npt.NDArray[np.int64], weights: Vector | None = None):  # type: ignore[no-untyped-def]
    """A lookup: the summed weight (or count) of each key among `keys`."""
    unique, inverse = np.unique(keys, return_inverse=True)
    sums = np.bincount(inverse, weights=weights, minlength=len(unique))

    def lookup(query: npt.NDArray[np.int64]) -> Vector:
        if len(unique) == 0:
            return np.zeros(len(query))
        at = np.minimum(np.searchsorted(unique, query), len(unique) - 1)
        return np.where(unique[at] == query, sums[at], 0.0).astype(np.float64)

    return lookup


def history_columns(
    log: TaobaoLog,
    user: npt.NDArray[np.int64],
    item: npt.NDArray[np.int64],
    day: npt.NDArray[np.int64],
) -> dict[str, Vector]:
    """Features of (user, item, day) rows from the days before each row's day only."""
    names = sorted((set(FEATURES) | set(TAOBAO_COLUMNS)) - set(TODAY_COLUMNS))
    columns = {name: np.zeros(len(user)) for name in names}
    cat = log.item_cat[item]
    n_items, n_cats = log.n_items, log.n_cats
    item_first_day = np.full(n_items, -1, dtype=np.int64)
    for d in range(int(log.day.max()) + 1):
        rows = np.flatnonzero(day == d)
        before = log.day < d
        imp_before = log.imp_day < d
        u, i, c = user[rows], item[rows], cat[rows]
        bu, bi, bc = log.users[before], log.items[before], log.cats[before]
        user_events = _counts(bu)(u)
        user_cat_events = _counts(bu * n_cats + bc)(u * n_cats + c)
        hist_click = log.click[imp_before].astype(np.float64)
        hist_buy = log.buy[imp_before].astype(np.float64)
        n_hist = max(int(imp_before.sum()), 1)
        engage_prior = float(hist_click.sum()) / n_hist
        buy_prior = float(hist_buy.sum()) / max(float(hist_click.sum()), 1.0)
        buy_imp_prior = float(hist_buy.sum()) / n_hist
        hu, hi = log.imp_user[imp_before], log.imp_item[imp_before]
        hc = log.item_cat[hi]
        ones = np.ones(len(hu))

        def rate(keys: npt.NDArray[np.int64], query: npt.NDArray[np.int64], hits: Vector,
                 trials: Vector, prior: float) -> Vector:  # fmt: skip
            s, t = _counts(keys, hits)(query), _counts(keys, trials)(query)
            return smoothed_rate(s, t, prior=min(max(prior, 0.0), 1.0)).astype(np.float64)

        columns["user_activity"][rows] = np.log1p(user_events)
        columns["user_category_affinity"][rows] = np.divide(
            user_cat_events, user_events, out=np.zeros(len(rows)), where=user_events > 0
        )
        columns["item_popularity"][rows] = np.log1p(_counts(bi)(i))
        columns["item_ctr"][rows] = rate(hi, i, hist_click, ones, engage_prior)
        columns["item_cvr"][rows] = rate(hi, i, hist_buy, hist_click, buy_prior)
        columns["item_buy_rate"][rows] = rate(hi, i, hist_buy, ones, buy_imp_prior)
        columns["user_engage_rate"][rows] = rate(hu, u, hist_click, ones, engage_prior)
        columns["user_buy_count"][rows] = np.log1p(_counts(hu, hist_buy)(u))
        columns["user_item_prior_events"][rows] = np.log1p(
            _counts(bu * n_items + bi)(u * n_items + i)
        )
        columns["user_item_prior_engaged"][rows] = (
            _counts(hu * n_items + hi, hist_click)(u * n_items + i) > 0
        )
        columns["user_category_prior_engaged"][rows] = np.log1p(
            _counts(hu * n_cats + hc, hist_click)(u * n_cats + c)
        )
        columns["category_popularity"][rows] = np.log1p(_counts(bc)(c))
        columns["category_engage_rate"][rows] = rate(hc, c, hist_click, ones, engage_prior)
        columns["category_buy_rate"][rows] = rate(hc, c, hist_buy, hist_click, buy_prior)
        seen = item_first_day[i]
        columns["item_seen_days"][rows] = np.where(seen >= 0, d - seen, -1.0)
        today = np.unique(log.items[log.day == d])
        item_first_day[today] = np.where(item_first_day[today] < 0, d, item_first_day[today])
    return columns


def today_columns(log: TaobaoLog) -> dict[str, Vector]:
    """For each view impression: its hour, and the user's rows earlier that day (in all and in
    the item's category), strictly before the impression's first row (what a session knows)."""
    first = log.imp_first_row
    hour = (log.seconds[first] % DAY) / 3600.0
    columns = {k: v.astype(np.float64) for k, v in hour_columns(hour).items()}
    user_day = log.users * 16 + log.day
    user_cat_day = (log.users * log.n_cats + log.cats) * 16 + log.day
    for name, group_of in (
        ("user_events_earlier_today", user_day),
        ("user_category_events_earlier_today", user_cat_day),
    ):
        stamps = np.sort(group_of * 2**20 + log.seconds)
        query = group_of[first] * 2**20 + log.seconds[first]
        earlier = np.searchsorted(stamps, query) - np.searchsorted(stamps, group_of[first] * 2**20)
        columns[name] = np.log1p(earlier.astype(np.float64))
    return columns


@dataclass(frozen=True)
class Rows:
    """Labelled (user, item, day) rows with every feature column."""

    user: npt.NDArray[np.int64]
    item: npt.NDArray[np.int64]
    day: npt.NDArray[np.int64]
    click: npt.NDArray[np.int8]
    buy: npt.NDArray[np.int8]
    columns: dict[str, Vector]

    def take(self, index: npt.NDArray[np.int64]) -> Rows:
        return Rows(
            self.user[index], self.item[index], self.day[index], self.click[index],
            self.buy[index], {k: v[index] for k, v in self.columns.items()},
        )  # fmt: skip

    def matrix(self, names: tuple[str, ...]) -> npt.NDArray[np.float32]:
        return assemble({name: self.columns[name] for name in names}, names=names)

    def labels(self) -> Labels:
        zeros = np.zeros(len(self.user), dtype=np.int8)
        return Labels(self.click, self.buy, zeros, np.zeros(len(self.user)))


def view_rows(log: TaobaoLog) -> Rows:
    """Protocol A: every view impression, with history and same-day columns."""
    columns = history_columns(log, log.imp_user, log.imp_item, log.imp_day)
    columns.update(today_columns(log))
    return Rows(log.imp_user, log.imp_item, log.imp_day, log.click, log.buy, columns)


def sampled_rows(log: TaobaoLog) -> Rows:
    """Protocol B: the evaluation split's labelled impressions (`taobao_split`), for the
    validation and test days as the split defines them and, with the same sampler, for each
    training day. Hour and same-day columns stay 0: sampled negatives have no time."""
    data = load_dataset("taobao")
    assert data.behaviours is not None
    split = taobao_by_day("taobao", data.interactions, data.behaviours, buy_only=False)
    day = (data.interactions.timestamps - TAOBAO_START) // DAY  # type: ignore[operator]
    parts: list[tuple[int, Impressions]] = []
    for d in range(FIRST_TRAIN_DAY, VALID_DAY):
        mask = day == d
        one_day = replace(
            split,
            test=data.interactions.subset(mask),
            behaviours={**(split.behaviours or {}), "test": data.behaviours[mask]},
        )
        parts.append((d, taobao_impressions(one_day, "test")))
    parts += [(VALID_DAY, split.impressions["valid"]), (TEST_DAY, split.impressions["test"])]
    user = np.concatenate([imps.user_ids for _, imps in parts])
    item = np.concatenate([imps.item_ids for _, imps in parts])
    days = np.concatenate([np.full(len(imps), d, dtype=np.int64) for d, imps in parts])
    click = np.concatenate([imps.click for _, imps in parts]).astype(np.int8)
    buy = np.concatenate([imps.buy for _, imps in parts]).astype(np.int8)
    columns = history_columns(log, user, item, days)
    columns.update({name: np.zeros(len(user)) for name in TODAY_COLUMNS})
    return Rows(user, item, days, click, buy, columns)


# --- metrics ---------------------------------------------------------------------------------


def head_metrics(
    users: npt.NDArray[np.int64],
    click: npt.NDArray[np.int8],
    buy: npt.NDArray[np.int8],
    click_score: Vector,
    buy_score: Vector,
    buy_given_click_score: Vector | None,
) -> dict[str, float]:
    engaged = click == 1
    out = {
        "click_auc": auc(click, click_score),
        "click_gauc": gauc(users, click, click_score),
        "buy_auc": auc(buy, buy_score),
        "buy_gauc": gauc(users, buy, buy_score),
    }
    given = buy_given_click_score if buy_given_click_score is not None else buy_score
    out["buy_given_click_auc"] = auc(buy[engaged], given[engaged])
    out["buy_given_click_gauc"] = gauc(users[engaged], buy[engaged], given[engaged])
    return out


def _selection_score(m: dict[str, float]) -> float:
    return (m["click_gauc"] + m["buy_gauc"]) / 2.0


def fit_ranker(rows: Rows, names: tuple[str, ...], params: dict[str, Any]) -> MultiTaskRanker:
    feature_names = None if names == FEATURES else names
    ranker = MultiTaskRanker(seed=7, feature_names=feature_names, **params)
    return ranker.fit(rows.matrix(names), rows.labels())


def ranker_metrics(ranker: MultiTaskRanker, rows: Rows) -> dict[str, float]:
    heads = ranker.predict(rows.matrix(ranker.columns))
    p_click = heads.p_click.astype(np.float64)
    p_buy = heads.p_buy_given_click.astype(np.float64)
    metrics = head_metrics(rows.user, rows.click, rows.buy, p_click, p_click * p_buy, p_buy)
    metrics["mean_p_click"] = float(p_click.mean())
    metrics["mean_p_buy"] = float((p_click * p_buy).mean())
    return metrics


def evaluate_protocol(rows: Rows, column_sets: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    """Grid on the validation day, refit through it, test on the test day; then baselines."""
    inside = lambda lo, hi: rows.take(np.flatnonzero((rows.day >= lo) & (rows.day <= hi)))  # noqa: E731
    train_valid = inside(FIRST_TRAIN_DAY, VALID_DAY - 1)
    valid = inside(VALID_DAY, VALID_DAY)
    train_test = inside(FIRST_TRAIN_DAY, TEST_DAY - 1)
    test = inside(TEST_DAY, TEST_DAY)
    counts = {
        part: {
            "impressions": len(r.user),
            "users": len(np.unique(r.user)),
            "clicks": int(r.click.sum()),
            "buys": int(r.buy.sum()),
        }
        for part, r in (("train", train_test), ("valid", valid), ("test", test))
    }
    systems: dict[str, Any] = {}
    for system, names in column_sets.items():
        tried = [
            (params, ranker_metrics(fit_ranker(train_valid, names, params), valid))
            for params in GRID
        ]
        best_params, best_valid = max(tried, key=lambda pm: _selection_score(pm[1]))
        t1 = time.perf_counter()
        model = fit_ranker(train_test, names, best_params)
        fit_s = time.perf_counter() - t1
        importances = model.feature_importances_["click"]
        top = np.argsort(-importances)[:5]
        systems[system] = {
            **ranker_metrics(model, test),
            "params": best_params,
            "valid_selection": _selection_score(best_valid),
            "fit_s": fit_s,
            "fallbacks": model.fallbacks_,
            "click_top_features": {names[j]: float(importances[j]) for j in top},
        }
    col = test.columns
    baselines: dict[str, tuple[Vector, Vector, Vector | None]] = {
        "item popularity": (col["item_popularity"], col["item_popularity"], None),
        "item prior rate": (col["item_ctr"], col["item_buy_rate"], col["item_cvr"]),
        "user-category affinity": (col["user_category_affinity"],) * 2 + (None,),
    }
    for name, (click_score, buy_score, given) in baselines.items():
        systems[name] = head_metrics(test.user, test.click, test.buy, click_score, buy_score, given)
    return {"counts": counts, "systems": systems}


def run_taobao() -> dict[str, Any]:
    t0 = time.perf_counter()
    log = taobao_log()
    views, sampled = view_rows(log), sampled_rows(log)
    prepare_s = time.perf_counter() - t0
    return {
        "prepare_s": prepare_s,
        "grid": list(GRID),
        "views": {
            "protocol": "impressions = (user, item, day) with any row; click = cart/fav/buy "
            "that day; buy = buy that day; train 11-26..12-01, valid 12-02 (grid), refit "
            "through 12-02, test 12-03 (China time); features from earlier days, plus the hour "
            "and the user's earlier rows that day",
            **evaluate_protocol(
                views,
                {
                    "ranker (FEATURES)": FEATURES,
                    "ranker (taobao columns)": (*TAOBAO_COLUMNS, *TODAY_COLUMNS),
                },
            ),
        },
        "split": {
            "protocol": "the evaluation split's impressions (taobao_split): click = any "
            "interaction that day, buy = bought that day, 4 sampled untouched items of the "
            "day per positive; training days sampled the same way; features from earlier days",
            **evaluate_protocol(
                sampled,
                {"ranker (FEATURES)": FEATURES, "ranker (taobao columns)": TAOBAO_COLUMNS},
            ),
        },
    }


# --- Ali-CCP sample ----------------------------------------------------------------------------


def _read_ccp(path: Path) -> tuple[list[str], npt.NDArray[np.float32], Labels]:
    with path.open() as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = np.asarray([[float(v) for v in row] for row in reader], dtype=np.float32)
    click = rows[:, header.index("click")].astype(np.int8)
    buy = rows[:, header.index("purchase")].astype(np.int8)
    features = [n for n in header if n not in ("click", "purchase")]
    X = rows[:, [header.index(n) for n in features]]
    zeros = np.zeros(len(rows), dtype=np.int8)
    # a purchase without a click is not in these files; keep the funnel explicit anyway
    return features, X, Labels(click, buy * click, zeros, np.zeros(len(rows)))


def run_ali_ccp() -> dict[str, Any]:
    folder = data_root() / "ali-ccp-sample"
    names, X_train, y_train = _read_ccp(folder / "ali_ccp_train_sample.csv")
    _, X_test, y_test = _read_ccp(folder / "ali_ccp_test_sample.csv")
    ranker = MultiTaskRanker(
        n_estimators=50, num_leaves=4, min_child_samples=5, seed=7, feature_names=tuple(names)
    ).fit(X_train, y_train)
    heads = ranker.predict(X_test)
    click = np.asarray(y_test.click)
    buy = np.asarray(y_test.buy)
    return {
        "note": "schema fixture (SOURCE.md): 100 train / 50 test rows; not an evaluation",
        "train": {
            "rows": len(X_train),
            "clicks": int(np.sum(y_train.click)),
            "buys": int(np.sum(y_train.buy)),
        },
        "test": {"rows": len(X_test), "clicks": int(click.sum()), "buys": int(buy.sum())},
        "fallbacks": ranker.fallbacks_,
        "test_click_auc_on_2_positives": auc(click, heads.p_click),
    }


# --- report ------------------------------------------------------------------------------------


def _fmt(value: float) -> str:
    return "  n/a " if value != value else f"{value:.4f}"


KEYS = ("click_auc", "click_gauc", "buy_auc", "buy_gauc", "buy_given_click_auc",
        "buy_given_click_gauc")  # fmt: skip
HEADER = ("system", "click AUC", "click GAUC", "buy AUC", "buy GAUC", "b|c AUC", "b|c GAUC")


def print_table(taobao: dict[str, Any] | None, ccp: dict[str, Any] | None) -> None:
    if taobao is not None:
        for name, title in (("views", "view impressions"), ("split", "split impressions")):
            part = taobao[name]
            print(f"Taobao UserBehavior sample, {title} — test day 2017-12-03")
            print(f"  {part['protocol']}")
            for stage, c in part["counts"].items():
                print(f"  {stage:5}: {c}")
            print("| " + " | ".join(HEADER) + " |")
            print("|" + "---|" * len(HEADER))
            for system, m in part["systems"].items():
                print(f"| {system} | " + " | ".join(_fmt(m[k]) for k in KEYS) + " |")
            for system, m in part["systems"].items():
                if "params" in m:
                    print(f"  {system}: params {m['params']}, fit {m['fit_s']:.1f} s, "
                          f"fallbacks {sorted(m['fallbacks'])}")  # fmt: skip
            print()
    if ccp is not None:
        print(f"Ali-CCP sample: {ccp['note']}")
        print(f"  train {ccp['train']}, test {ccp['test']}")
        print(f"  fallbacks: {ccp['fallbacks']}")
        print(
            f"  test click AUC on 2 positives (noise): {_fmt(ccp['test_click_auc_on_2_positives'])}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench/results/ranker_heads.json"))
    parser.add_argument("--datasets", default="taobao,ali-ccp")
    args = parser.parse_args(argv)
    wanted = set(args.datasets.split(","))
    runners: dict[str, Callable[[], dict[str, Any]]] = {
        "taobao": run_taobao,
        "ali-ccp": run_ali_ccp,
    }
    results: dict[str, Any] = {}
    for name in ("taobao", "ali-ccp"):
        if name in wanted:
            results[name] = runners[name]()
    print_table(results.get("taobao"), results.get("ali-ccp"))
    report = {
        "command": "python "
        + " ".join([sys.argv[0], *(argv if argv is not None else sys.argv[1:])]),
        "python": platform.python_version(),
        "lightgbm": lightgbm.__version__,
        "machine": platform.machine(),
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, sort_keys=True, default=float) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Training a model version from the platform's own behaviour log, and publishing it.

`train_and_publish` is what `xingqu train` and the worker run:
1. read the published catalogue, the behaviour log of the window and the feature rows the feed
   logged (in chunks, with progress);
2. fit the retrieval blend (`retrieval.pipelines.interest_blend`: transitions, EASE, ALS,
   SASRec with the optional PyTorch extra; fusion weights tuned on each user's last engagement)
   on user × content engagements — likes, shares, product clicks, carts, orders, and watches of
   at least half the content, weighted by `rules.PROFILE_WEIGHTS`;
3. fit the exploration channel's category co-affinity on the same engagements;
4. label every impression with what followed it (`outcomes.label_impressions`) and count each
   item's impressions, clicks, purchases and refunds (the ranker's item features);
5. fit the multi-task ranker on the logged feature rows and their labels: first on all but the
   newest `ranker_holdout` share of impressions, to measure AUC/GAUC of the click and purchase
   heads on the newest ones (next to the scores the serving version gave the same impressions),
   then on all of them;
6. publish the version atomically in the registry (`registry.ModelRegistry.publish`) with a
   manifest of data window, counts, metrics and timings. Servers pick it up within seconds.

A platform without enough behaviour gets a version without the parts it cannot learn (no blend
below `min_users` engaged users, no ranker below `min_ranker_rows` logged impressions); the feed
then serves from its online channels and prior heads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from scipy import sparse

from xingqu.discovery.engine.model import EngineModel, ItemTable
from xingqu.discovery.engine.outcomes import (
    ItemCounts,
    LogColumns,
    Outcomes,
    item_counts,
    label_impressions,
)
from xingqu.discovery.engine.registry import Manifest, ModelRegistry, new_version_id
from xingqu.discovery.evaluation.metrics import auc, gauc
from xingqu.discovery.interactions import Interactions
from xingqu.discovery.port import LOG_COLUMNS, DataPort
from xingqu.discovery.ranking.features import FEATURES, KINDS
from xingqu.discovery.ranking.ranker import Labels, MultiTaskRanker
from xingqu.discovery.retrieval.base import Recommender
from xingqu.discovery.retrieval.exploration import CategoryExplorationChannel
from xingqu.discovery.retrieval.pipelines import ESTIMATORS, interest_blend
from xingqu.discovery.rules import (
    ACTION_CODES,
    CLICK_ACTIONS,
    ENGAGED_WATCH_COMPLETION,
    WATCH_SLACK_S,
    Action,
    positive_weights,
    watch_leanings,
)
from xingqu.shared.progress import Step, no_progress
from xingqu.store.uow import UnitOfWork

ReadUow = Callable[[], UnitOfWork]
CHUNK = 50_000


@dataclass(frozen=True)
class TrainingSettings:
    window_days: int = 30
    sequence_model: bool = False  # SASRec in the blend (needs the `sequence` extra)
    retrieval: str = "blend"  # a name of `retrieval.pipelines.ESTIMATORS` (the model channel)
    min_users: int = 20
    min_ranker_rows: int = 2_000
    ranker_holdout: float = 0.1
    response_window_s: int = 7_200
    ranker: Mapping[str, Any] = field(default_factory=dict)  # MultiTaskRanker parameters


@dataclass
class TrainingData:
    catalogue_ids: np.ndarray  # content ids, sorted
    catalogue: dict[str, np.ndarray]  # per catalogue item: creator, category, kind, ...
    mounted: dict[int, int]  # content id → its first mounted product
    products: dict[int, tuple[int, int]]  # product id → (price fen, shop id), sellable now
    followers: dict[int, int]
    log: LogColumns
    served: tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    # (request ids, content ids, user ids, served at (s), feature matrix)
    since: datetime
    until: datetime


def collect(
    read: ReadUow, since: datetime, until: datetime, step: Step = no_progress
) -> TrainingData:
    """Everything training needs, read through read-only units of work."""
    with read() as uow:
        data = DataPort(uow)
        entries = data.published_catalogue()
        product_ids = {e.product_ids[0] for e in entries if e.product_ids}
        cards = data.product_cards(product_ids)
        followers = data.follower_counts({e.creator_id for e in entries})
        last_id = _last_id(uow)
    entries.sort(key=lambda e: e.content_id)
    catalogue = {
        "creator": np.array([e.creator_id for e in entries], dtype=np.int64),
        "category": np.array([e.category_id for e in entries], dtype=np.int64),
        "kind": np.array([KINDS.index(e.kind) if e.kind in KINDS else -1 for e in entries]),
        "duration": np.array([e.duration_s for e in entries], dtype=np.float32),
        "published": np.array([int(e.published_at.timestamp()) for e in entries], np.int64),
    }
    log = _read_log(read, since, until, last_id, step)
    served = _read_served(read, since, until, step)
    return TrainingData(
        catalogue_ids=np.array([e.content_id for e in entries], dtype=np.int64),
        catalogue=catalogue,
        mounted={e.content_id: e.product_ids[0] for e in entries if e.product_ids},
        products={pid: (c.min_price_fen, c.shop_id) for pid, c in cards.items()},
        followers=followers,
        log=log,
        served=served,
        since=since,
        until=until,
    )


def _last_id(uow: UnitOfWork) -> int:
    from sqlalchemy import func, select

    from xingqu.discovery.models import BehaviourEvent

    return int(uow.session.scalar(select(func.max(BehaviourEvent.id))) or 0)


def _read_log(
    read: ReadUow, since: datetime, until: datetime, last_id: int, step: Step
) -> LogColumns:
    advance = step("reading the behaviour log", max(last_id, 1))
    code = {action.value: i for i, action in enumerate(ACTION_CODES)}
    names = list(LOG_COLUMNS)
    columns: dict[str, list[Any]] = {name: [] for name in names}
    after = 0
    while True:
        with read() as uow:
            rows = DataPort(uow).behaviour_chunk(after_id=after, limit=CHUNK, until=until)
        if not rows:
            break
        for row in rows:
            if row.occurred_at >= since:
                for name in names:
                    columns[name].append(getattr(row, name))
        advance(rows[-1].id - after)
        after = rows[-1].id

    def ids(name: str) -> np.ndarray:
        return np.array([-1 if v is None else v for v in columns[name]], dtype=np.int64)

    return LogColumns(
        user=ids("user_id"),
        action=np.array([code[a] for a in columns["action"]], dtype=np.int64),
        content=ids("content_id"),
        product=ids("product_id"),
        category=ids("category_id"),
        value=np.array(columns["value"], dtype=np.float64),
        at=np.array([int(t.timestamp()) for t in columns["occurred_at"]], dtype=np.int64),
    )


def _read_served(
    read: ReadUow, since: datetime, until: datetime, step: Step
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    advance = step("reading logged features", 1)
    requests: list[str] = []
    contents: list[int] = []
    users: list[int] = []
    times: list[int] = []
    vectors: list[bytes] = []
    after: tuple[str, int] | None = None
    while True:
        with read() as uow:
            rows = DataPort(uow).served_features_chunk(
                since=since, until=until, after=after, limit=CHUNK
            )
        if not rows:
            break
        for request_id, content_id, user_id, served_at, vector in rows:
            requests.append(request_id)
            contents.append(content_id)
            users.append(user_id)
            times.append(int(served_at.timestamp()))
            vectors.append(vector)
        after = (rows[-1][0], rows[-1][1])
    matrix = (
        np.frombuffer(b"".join(vectors), dtype=np.float32).reshape(len(vectors), len(FEATURES))
        if vectors
        else np.zeros((0, len(FEATURES)), dtype=np.float32)
    )
    advance(1)
    return (
        requests,
        np.array(contents, dtype=np.int64),
        np.array(users, dtype=np.int64),
        np.array(times, dtype=np.int64),
        matrix,
    )


# --- fitting ---------------------------------------------------------------------------------


@dataclass
class Trained:
    model: EngineModel
    counts: dict[str, int]
    metrics: dict[str, float]
    timings: dict[str, float]


def fit_version(
    data: TrainingData, settings: TrainingSettings, version: str, step: Step = no_progress
) -> Trained:
    timings: dict[str, float] = {}
    metrics: dict[str, float] = {}
    ids = data.catalogue_ids
    durations = dict(
        zip(ids.tolist(), data.catalogue["duration"].astype(int).tolist(), strict=True)
    )
    categories = np.unique(data.catalogue["category"])
    category_index = np.searchsorted(categories, data.catalogue["category"])

    started = time.perf_counter()
    advance = step("labelling impressions", 1)
    outcomes = label_impressions(
        data.log, response_window=timedelta(seconds=settings.response_window_s)
    )
    counts = item_counts(data.log, outcomes, durations)
    advance(1)
    timings["labels_s"] = time.perf_counter() - started

    interactions, user_ids = engagements(data, durations, category_index)
    blend: Recommender | None = None
    exploration: CategoryExplorationChannel | None = None
    engaged_users = interactions.n_users
    if engaged_users >= settings.min_users:
        started = time.perf_counter()
        advance = step(f"fitting the retrieval model ({settings.retrieval})", 1)
        blend = retrieval_model(settings).fit(interactions)
        advance(1)
        timings["blend_s"] = time.perf_counter() - started
        tuned = getattr(blend, "tune_ndcg_", None)
        if tuned is not None:
            metrics["blend.tune_ndcg@10"] = float(tuned)
        started = time.perf_counter()
        exploration = CategoryExplorationChannel().fit(
            leaned_toward(data, durations, category_index)
        )
        timings["exploration_s"] = time.perf_counter() - started

    ranker, ranker_metrics, ranker_rows = _fit_ranker(data, outcomes, settings, step)
    metrics.update(ranker_metrics)

    table = _item_table(data, counts)
    creators = np.unique(data.catalogue["creator"])
    products = np.array(sorted(data.products), dtype=np.int64)
    model = EngineModel(
        version=version,
        items=table,
        user_ids=user_ids,
        category_ids=categories.astype(np.int64),
        creator_ids=creators.astype(np.int64),
        creator_followers=np.array(
            [data.followers.get(int(c), 0) for c in creators], dtype=np.float32
        ),
        creator_rating=np.zeros(len(creators), dtype=np.float32),
        product_ids=products,
        product_price_fen=np.array([data.products[int(p)][0] for p in products], np.int64),
        blend=blend,
        exploration=exploration,
        ranker=ranker,
        category_lift=response_lift(data, durations, category_index, len(categories)),
    )
    return Trained(
        model=model,
        counts={
            "content_items": len(ids),
            "behaviour_rows": len(data.log),
            "impressions": len(outcomes.rows),
            "engagements": len(interactions),
            "engaged_users": engaged_users,
            "ranker_rows": ranker_rows,
        },
        metrics=metrics,
        timings=timings,
    )


def retrieval_model(settings: TrainingSettings) -> Recommender:
    """The estimator of the model channel: the tuned blend by default, or any named estimator
    (`retrieval.pipelines.ESTIMATORS`; "als" is plain collaborative filtering)."""
    if settings.retrieval not in ESTIMATORS:
        raise ValueError(
            f"unknown retrieval model {settings.retrieval!r}; one of {', '.join(ESTIMATORS)}"
        )
    if settings.retrieval == "blend":
        return interest_blend(sequence_model=settings.sequence_model)
    return ESTIMATORS[settings.retrieval]()


def engagements(
    data: TrainingData, durations: dict[int, int], category_index: np.ndarray
) -> tuple[Interactions, np.ndarray]:
    """User × content engagements of the log (module docstring, step 2), with the user ids of
    the user index."""
    keep, weights = _engaged_rows(data, durations)
    return _interactions(data, keep, weights, category_index)


LIFT_ANCHORS = 3
LIFT_PRIOR_WATCHES = 5.0


def response_lift(
    data: TrainingData, durations: dict[int, int], category_index: np.ndarray, n_categories: int
) -> np.ndarray:
    """categories × categories: how much longer people anchored on category a (one of their
    `LIFT_ANCHORS` most engaged categories) watch content of category b than everyone does —

        lift[a, b] = (Σ completion + k × mean_b) / (n + k) − mean_b      (k = 5 watches)

    over every watch in the log (trending, fresh and exploration show people all sorts of
    categories every day), 0 on the diagonal and where negative. Companion tastes — what people
    who like a would like without knowing it — have a positive lift long before they lead to
    clicks, so the exploration bandit's prior starts from them (`candidates._coaffinity`)."""
    log = data.log
    engaged, weights = _engaged_rows(data, durations)
    at = _positions(data.catalogue_ids, log.content)
    users, user_index = np.unique(log.user, return_inverse=True)
    shape = (len(users), n_categories)
    category = np.where(at >= 0, category_index[np.maximum(at, 0)], 0)
    affinity = sparse.csr_matrix(
        (weights[engaged], (user_index[engaged], category[engaged])), shape=shape
    ).toarray()
    anchors = np.zeros(shape, dtype=np.float32)
    if len(users):
        top = np.argsort(-affinity, axis=1)[:, :LIFT_ANCHORS]
        rows = np.repeat(np.arange(len(users)), top.shape[1])
        picked = top.ravel()
        anchors[rows, picked] = (affinity[rows, picked] > 0).astype(np.float32)
    watch = (log.action == ACTION_CODES.index(Action.WATCH)) & (at >= 0)
    duration = np.array([durations.get(int(c), 0) for c in log.content[watch]], dtype=np.float64)
    completion = _completion(log.value[watch], duration)
    sums = sparse.csr_matrix(
        (completion, (user_index[watch], category[watch])), shape=shape
    ).toarray()
    counts = sparse.csr_matrix(
        (np.ones(int(watch.sum())), (user_index[watch], category[watch])), shape=shape
    ).toarray()
    total, seen = sums.sum(axis=0), counts.sum(axis=0)
    mean = np.divide(total, seen, out=np.zeros(n_categories), where=seen > 0)
    pair_sum, pair_n = anchors.T @ sums, anchors.T @ counts
    lift = (pair_sum + LIFT_PRIOR_WATCHES * mean) / (pair_n + LIFT_PRIOR_WATCHES) - mean
    np.fill_diagonal(lift, 0.0)
    return np.maximum(lift, 0.0).astype(np.float32)


def leaned_toward(
    data: TrainingData, durations: dict[int, int], category_index: np.ndarray
) -> Interactions:
    """What the exploration channel's co-affinity counts: the engagements, plus the watches of
    categories each user watches longer than usual (`rules.watch_leanings`) — latent interests
    show there long before a click, so categories that go together are found sooner."""
    log = data.log
    engaged, weights = _engaged_rows(data, durations)
    at = _positions(data.catalogue_ids, log.content)
    watch = np.flatnonzero((log.action == ACTION_CODES.index(Action.WATCH)) & (at >= 0))
    duration = np.array([durations.get(int(c), 0) for c in log.content[watch]], dtype=np.float64)
    completion = _completion(log.value[watch], duration)
    categories = category_index[at[watch]]
    leaning = watch_leanings(log.user[watch], categories, completion)
    leaned = np.zeros(len(log), dtype=bool)
    leaned[watch] = [
        (int(u), int(c)) in leaning for u, c in zip(log.user[watch], categories, strict=True)
    ]
    interactions, _ = _interactions(
        data, engaged | leaned, np.maximum(weights, leaned.astype(np.float64)), category_index
    )
    return interactions


def _engaged_rows(data: TrainingData, durations: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Which log rows are engagements with catalogue content, and every row's interest weight."""
    log = data.log
    at = _positions(data.catalogue_ids, log.content)
    duration = np.array([durations.get(int(c), 0) for c in log.content], dtype=np.float64)
    weights = positive_weights(log.action, log.value, duration)
    completion = _completion(log.value, duration)
    clicks = np.isin(log.action, [ACTION_CODES.index(a) for a in CLICK_ACTIONS])
    watched = (log.action == ACTION_CODES.index(Action.WATCH)) & (
        completion >= ENGAGED_WATCH_COMPLETION
    )
    return (at >= 0) & (weights > 0) & (clicks | watched), weights


def _completion(seconds: np.ndarray, duration: np.ndarray) -> np.ndarray:
    """`rules.watch_completion`, vectorised."""
    return np.minimum(1.0, np.maximum(0.0, seconds) / np.maximum(duration, WATCH_SLACK_S))


def _interactions(
    data: TrainingData, keep: np.ndarray, weights: np.ndarray, category_index: np.ndarray
) -> tuple[Interactions, np.ndarray]:
    log = data.log
    at = _positions(data.catalogue_ids, log.content)
    users, user_index = np.unique(log.user[keep], return_inverse=True)
    interactions = Interactions(
        user_ids=user_index.astype(np.int64),
        item_ids=at[keep].astype(np.int64),
        n_users=len(users),
        n_items=len(data.catalogue_ids),
        timestamps=log.at[keep],
        weights=weights[keep].astype(np.float32),
        item_categories=category_index.astype(np.int64),
    )
    return interactions, users.astype(np.int64)


def _fit_ranker(
    data: TrainingData, outcomes: Outcomes, settings: TrainingSettings, step: Step
) -> tuple[MultiTaskRanker | None, dict[str, float], int]:
    requests, contents, users, times, matrix = data.served
    if len(requests) < settings.min_ranker_rows:
        return None, {}, len(requests)
    labels = _served_labels(data, outcomes, requests, contents, users, times)
    order = np.argsort(times, kind="stable")
    cut = int(len(order) * (1.0 - settings.ranker_holdout))
    train, test = order[:cut], order[cut:]
    metrics: dict[str, float] = {}
    advance = step("fitting the ranker", 2)
    if len(test) and 0 < labels[0][test].sum() < len(test):
        held = MultiTaskRanker(**{"feature_names": FEATURES, **settings.ranker}).fit(
            matrix[train], _labels(labels, train)
        )
        heads = held.predict(matrix[test])
        click, buy = labels[0][test], labels[1][test]
        metrics["ranker.click_auc"] = auc(click, heads.p_click)
        metrics["ranker.click_gauc"] = gauc(users[test], click, heads.p_click)
        if 0 < buy.sum() < len(buy):
            metrics["ranker.buy_auc"] = auc(buy, heads.p_click * heads.p_buy_given_click)
        metrics["ranker.test_rows"] = float(len(test))
    advance(1)
    ranker = MultiTaskRanker(**{"feature_names": FEATURES, **settings.ranker}).fit(
        matrix, _labels(labels, np.arange(len(times)))
    )
    advance(1)
    return ranker, metrics, len(requests)


def _served_labels(
    data: TrainingData,
    outcomes: Outcomes,
    requests: list[str],
    contents: np.ndarray,
    users: np.ndarray,
    times: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The outcome of each logged feature row: the labelled impression of the same user,
    content and time (the feed logs both in one transaction)."""
    log = data.log
    index = {
        (int(log.user[i]), int(log.content[i]), int(log.at[i])): j
        for j, i in enumerate(outcomes.rows)
    }
    where = np.array(
        [
            index.get((int(u), int(c), int(t)), -1)
            for u, c, t in zip(users, contents, times, strict=True)
        ],
        dtype=np.int64,
    )
    found = where >= 0

    def pick(column: np.ndarray) -> np.ndarray:
        out = np.zeros(len(where), dtype=column.dtype)
        out[found] = column[where[found]]
        return out

    return pick(outcomes.click), pick(outcomes.buy), pick(outcomes.refund), pick(outcomes.watch_s)


def _labels(labels: tuple[np.ndarray, ...], rows: np.ndarray) -> Labels:
    click, buy, refund, watch = (column[rows] for column in labels)
    return Labels(click=click, buy=buy, refund=refund, watch_s=watch)


def _positions(sorted_ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The position of each of `wanted` in `sorted_ids`, -1 when absent."""
    if len(sorted_ids) == 0:
        return np.full(len(wanted), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(sorted_ids, wanted), len(sorted_ids) - 1)
    return np.where(sorted_ids[at] == wanted, at, -1).astype(np.int64)


def _item_table(data: TrainingData, counts: ItemCounts) -> ItemTable:
    ids = data.catalogue_ids
    at = _positions(counts.content_ids, ids)
    found = at >= 0

    def column(values: np.ndarray) -> np.ndarray:
        out = np.zeros(len(ids), dtype=np.float32)
        out[found] = values[at[found]]
        return out

    product = [data.mounted.get(int(c)) for c in ids]
    price = [data.products.get(p, (0, -1))[0] if p is not None else 0 for p in product]
    shop = [data.products.get(p, (0, -1))[1] if p is not None else -1 for p in product]
    return ItemTable(
        content_ids=ids,
        category_ids=data.catalogue["category"],
        creator_ids=data.catalogue["creator"],
        kinds=data.catalogue["kind"].astype(np.int64),
        durations=data.catalogue["duration"],
        published_s=data.catalogue["published"],
        price_fen=np.array(price, dtype=np.int64),
        shop_ids=np.array(shop, dtype=np.int64),
        impressions=column(counts.impressions),
        clicks=column(counts.clicks),
        buys=column(counts.buys),
        refunds=column(counts.refunds),
        engagements=column(counts.engagements),
    )


# --- publishing ------------------------------------------------------------------------------


def train_and_publish(
    read: ReadUow,
    registry: ModelRegistry,
    *,
    now: datetime,
    settings: TrainingSettings | None = None,
    step: Step = no_progress,
    activate: bool = True,
) -> Manifest:
    """Train on the log of the window ending at `now` and publish the version (module
    docstring). Returns its manifest."""
    settings = settings or TrainingSettings()
    since = now - timedelta(days=settings.window_days)
    started = time.perf_counter()
    data = collect(read, since, now, step)
    read_s = time.perf_counter() - started
    version = new_version_id()
    trained = fit_version(data, settings, version, step)

    def manifest(version: str, components: Mapping[str, str]) -> Manifest:
        return Manifest(
            version=version,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            data_window={"since": since.isoformat(), "until": now.isoformat()},
            counts=trained.counts,
            metrics=trained.metrics,
            components=dict(components),
            settings=asdict(settings) | {"ranker": dict(settings.ranker)},
            timings_s={
                "read_s": read_s,
                **trained.timings,
                "total_s": time.perf_counter() - started,
            },
        )

    return registry.publish(trained.model.save, manifest, version=version, activate=activate)

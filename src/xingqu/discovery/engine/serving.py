"""The feed engine: one page of the interest feed, from the published model version.

Per request:
1. the online profile (`profile.build_profile`) — the user's behaviour up to this second;
2. candidates from every channel (`candidates.retrieve`), content shown recently left out;
3. hard filters: only published content, only products that can be bought now (live, in an
   active shop, in stock); an item whose every mounted product is dropped is dropped;
4. the ranker's four heads (`MultiTaskRanker`; before a version has a ranker,
   `features.prior_heads`) on the features (`features.feature_matrix`);
5. the quality-GMV value of each candidate (`ranking.value.QualityGmvValue`) with the shop's
   service quality (`rules.service_quality`: its refund and complaint rates in the log and its
   experience score from governance), scaled down for shops under a traffic-limit sanction;
6. re-ranking (`ranking.rerank`): diversity, exploration slots, the new-merchant quota, per-page
   caps and a per-creator frequency cap over the last day;
7. one short write transaction logs an impression per item with the model version, channel,
   position and scores, and the item's feature row (`ServedFeatures`) for training.

Steps 1–6 read through a read-only unit of work, so on SQLite a feed holds the write lock only
for step 7. The model version is swapped without stopping: `ModelSlot` notices a new CURRENT in
the registry, loads it in a background thread and swaps one reference; requests in flight finish
on the version they started with.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import insert

from xingqu.catalog.queries import ProductCard
from xingqu.content.queries import ContentCard
from xingqu.discovery.engine.candidates import Proposal, is_cold, retrieve
from xingqu.discovery.engine.cards import ContentCache, TimedLookup
from xingqu.discovery.engine.exploration import ExplorationArms, read_arms
from xingqu.discovery.engine.features import FeatureInputs, feature_matrix, prior_heads
from xingqu.discovery.engine.model import EngineModel
from xingqu.discovery.engine.profile import OnlineProfile, build_profile
from xingqu.discovery.engine.registry import ModelRegistry
from xingqu.discovery.engine.slot import POLL_S, ModelSlot
from xingqu.discovery.errors import DiscoveryError
from xingqu.discovery.models import BehaviourEvent, ServedFeatures
from xingqu.discovery.popularity import popularity_cache
from xingqu.discovery.port import DataPort
from xingqu.discovery.ranking.features import CHANNELS, FEATURE_SET, FEATURES, KINDS
from xingqu.discovery.ranking.ranker import Heads
from xingqu.discovery.ranking.rerank import Candidate, Placed, RerankPolicy, rerank
from xingqu.discovery.ranking.value import QualityGmvValue
from xingqu.discovery.rules import Action, Channel, category_fatigue, service_quality
from xingqu.shared.access import Actor
from xingqu.shared.clock import is_real_time
from xingqu.shared.errors import invalid
from xingqu.store.prepared import table
from xingqu.store.uow import UnitOfWork

MAX_FEED_LIMIT = 50
CREATOR_DAILY_CAP = 6
"""At most this many impressions of one creator per user over the profile's exposure window."""
TRAFFIC_LIMIT_FACTOR = 0.2
"""A shop under a traffic-limit sanction keeps this share of its items' value."""
ARMS_TTL_S = 10.0
COLD_EXPLORATION_SLOTS = (1, 3, 6, 9, 12, 15)
"""Positions given to exploration for a person the feed knows little about (`is_cold`)."""


@dataclass(frozen=True, slots=True)
class FeedProduct:
    product_id: int
    title_en: str
    title_zh: str
    min_price_fen: int  # of the cheapest SKU in stock
    sku_id: int  # that SKU
    shop_id: int


@dataclass(frozen=True, slots=True)
class FeedItem:
    content_id: int
    kind: str
    title_en: str
    title_zh: str
    caption: str
    cover_url: str
    duration_s: int
    creator_id: int
    creator_name: str
    category_id: int
    products: list[FeedProduct]
    channel: Channel
    score: float  # the quality-GMV value, fen
    reason: str = "value"  # why it holds its position (`rerank.PlacementReason`)


@dataclass(frozen=True, slots=True)
class Feed:
    request_id: str
    items: list[FeedItem]
    model_version: str | None = None


class FeedEngine:
    """Serves feed pages (module docstring). One per database; thread-safe."""

    def __init__(
        self,
        registry: ModelRegistry | None = None,
        *,
        policy: RerankPolicy | None = None,
        value: QualityGmvValue | None = None,
        creator_cap: int = CREATOR_DAILY_CAP,
        poll_s: float = POLL_S,
        seed: int = 0,
        channels: frozenset[Channel] = frozenset(Channel),
    ) -> None:
        self.slot = ModelSlot(registry, poll_s=poll_s)
        self.channels = channels
        """The retrieval channels switched on (an operator can turn one off; ablations)."""
        self.policy = policy or RerankPolicy()
        self.value = value or QualityGmvValue()
        self.creator_cap = creator_cap
        self.seed = seed
        self.content = ContentCache()
        self.experience = TimedLookup()  # governance's merchant experience scores
        self.reputations = TimedLookup()  # and creator reputations
        self._arms: tuple[float, ExplorationArms] | None = None

    @property
    def model(self) -> EngineModel | None:
        return self.slot.get()

    def warm_up(self, uow: UnitOfWork) -> None:
        """Load the current version and fill the aggregates before the first request needs
        them (a server calls this when it starts; the first feed would otherwise pay for it)."""
        model = self.slot.refresh()
        now = uow.clock.now()
        popularity_cache(uow.engine).current(uow.reader, now, real_time=is_real_time(uow.clock))
        with uow.reader() as reader:
            DataPort(reader).merchant_quality(set())
            self._exploration_arms(reader, now)
        if model is not None and model.ranker is not None:
            model.ranker.predict(np.zeros((1, len(FEATURES)), dtype=np.float32))

    def serve(self, uow: UnitOfWork, actor: Actor, *, limit: int = 20, log: bool = True) -> Feed:
        """The next page of the actor's feed; logs what it shows (`log=False`: a preview that
        writes nothing, for operators and offline evaluation)."""
        if type(limit) is not int or not 1 <= limit <= MAX_FEED_LIMIT:
            raise invalid(DiscoveryError.INVALID_FEED_REQUEST, f"limit must be 1..{MAX_FEED_LIMIT}")
        now = uow.clock.now()
        model = self.slot.get()
        # the exploration draw is random per user and moment, yet replays exactly (simulator)
        rng = np.random.default_rng([self.seed, actor.user_id, int(now.timestamp() * 1e6)])
        popularity = popularity_cache(uow.engine).current(
            uow.reader, now, real_time=is_real_time(uow.clock)
        )
        with uow.reader() as reader:
            data = DataPort(reader)
            profile = build_profile(
                data, actor.user_id, now, durations=lambda ids: self._durations(data, model, ids)
            )
            policy = (
                replace(self.policy, exploration_slots=COLD_EXPLORATION_SLOTS)
                if is_cold(profile)
                else self.policy
            )
            retrieval = retrieve(
                data,
                self.content,
                model,
                profile,
                popularity,
                self._exploration_arms(reader, now),
                limit=limit,
                now=now,
                rng=rng,
                exploration_slots=sum(1 for s in policy.exploration_slots if s < limit),
                enabled=self.channels,
            )
            page = self._rank(data, model, profile, policy, retrieval.proposals, limit, now)
        feed = Feed(uuid.uuid4().hex, [p.item for p in page], model.version if model else None)
        if page and log:
            with uow:
                _log(uow, actor.user_id, feed, page, retrieval.explored, now)
                uow.commit()
        return feed

    # --- steps 3–6 ---------------------------------------------------------------------------

    def _rank(
        self,
        data: DataPort,
        model: EngineModel | None,
        profile: OnlineProfile,
        policy: RerankPolicy,
        proposals: list[Proposal],
        limit: int,
        now: datetime,
    ) -> list[_Served]:
        rows = _buyable(data, self.content, proposals, now)
        if not rows:
            return []
        shops = {row.shop_id for row in rows if row.shop_id is not None}
        experience = self.experience.get(shops, now, data.experience_scores)
        quality = {
            shop: service_quality(q, experience.get(shop))
            for shop, q in data.merchant_quality(shops).items()
        }
        new = data.new_merchants(shops)
        limited = data.traffic_limited_shops(shops)
        ratings = self.reputations.get(
            {row.card.creator_id for row in rows}, now, data.creator_reputations
        )
        matrix = feature_matrix(_inputs(model, profile, rows, quality, new, ratings, now))
        heads = (
            model.ranker.predict(matrix)
            if model is not None and model.ranker is not None
            else prior_heads(matrix)
        )
        price = np.array([row.price_fen for row in rows], dtype=np.int64)
        merchant = np.array(
            [quality.get(row.shop_id, 1.0) if row.shop_id is not None else 1.0 for row in rows]
        )
        terms = self.value.terms(price, heads, merchant)
        factor = np.array([TRAFFIC_LIMIT_FACTOR if row.shop_id in limited else 1.0 for row in rows])
        values = terms.total * factor
        candidates = [
            Candidate(
                key=i,
                value=float(values[i]),
                category_id=row.card.category_id,
                creator_id=row.card.creator_id,
                shop_id=row.shop_id,
                channel=row.proposal.channel.value,
                merchant_new=row.shop_id in new,
            )
            for i, row in enumerate(rows)
        ]
        placed = rerank(
            candidates,
            limit,
            policy,
            recent_creator_exposure=profile.creator_exposure,
            creator_cap=self.creator_cap,
            category_fatigue=category_fatigue(profile.passed_over, policy.category_penalty),
            engaged_categories=profile.engaged_categories,
        )
        placed += self._backfill(candidates, placed, limit)
        return [_served(rows[p.candidate.key], p, heads, values, matrix) for p in placed]

    def _backfill(
        self, candidates: list[Candidate], placed: list[Placed], limit: int
    ) -> list[Placed]:
        """When the caps end the page early but candidates are left (a small catalogue, few
        creators), the rest of the page is filled from them by value and diversity alone: a
        shorter page would not serve the user better."""
        if len(placed) >= limit or len(placed) >= len(candidates):
            return []
        taken = {p.candidate.key for p in placed}
        relaxed = replace(
            self.policy,
            max_per_creator=None,
            max_per_category=None,
            max_per_shop=None,
            exploration_slots=(),
            new_merchant_share=0.0,
        )
        more = rerank([c for c in candidates if c.key not in taken], limit - len(placed), relaxed)
        return [Placed(p.candidate, len(placed) + p.position, p.reason) for p in more]

    def _durations(
        self, data: DataPort, model: EngineModel | None, content_ids: set[int]
    ) -> dict[int, int]:
        """content id → duration (s): from the version's item table (durations never change
        once published), else from the content cache."""
        found: dict[int, int] = {}
        if model is not None and content_ids:
            ids = np.fromiter(content_ids, np.int64, len(content_ids))
            index = model.item_index(ids)
            known = index >= 0
            durations = model.items.durations[index[known]].astype(np.int64)
            found = dict(zip(ids[known].tolist(), durations.tolist(), strict=True))
        rest = content_ids - found.keys()
        return (found | self.content.durations(data, rest)) if rest else found

    def _exploration_arms(self, uow: UnitOfWork, now: datetime) -> ExplorationArms:
        """The bandit's evidence, re-read after `ARMS_TTL_S` of the platform's time."""
        cached = self._arms
        at = now.timestamp()
        if cached is not None and 0 <= at - cached[0] < ARMS_TTL_S:
            return cached[1]
        arms = read_arms(uow)
        self._arms = (at, arms)
        return arms


@dataclass(frozen=True, slots=True)
class _Row:
    """A candidate that passed the hard filters."""

    proposal: Proposal
    card: ContentCard
    products: list[ProductCard]  # the mounted products that can be bought now, in order

    @property
    def shop_id(self) -> int | None:
        return self.products[0].shop_id if self.products else None

    @property
    def price_fen(self) -> int:
        return self.products[0].min_price_fen if self.products else 0


@dataclass(frozen=True, slots=True)
class _Served:
    item: FeedItem
    placed: Placed
    proposal: Proposal
    heads: tuple[float, float, float, float]
    value: float
    features: bytes


def _buyable(
    data: DataPort, content: ContentCache, proposals: list[Proposal], now: datetime
) -> list[_Row]:
    cards = content.published_cards(data, [p.content_id for p in proposals], now)
    products = data.product_cards({pid for card in cards.values() for pid in card.product_ids})
    rows: list[_Row] = []
    for proposal in proposals:
        card = cards.get(proposal.content_id)
        if card is None:
            continue
        shown = [products[pid] for pid in card.product_ids if pid in products]
        if card.product_ids and not shown:
            continue
        rows.append(_Row(proposal, card, shown))
    return rows


def _inputs(
    model: EngineModel | None,
    profile: OnlineProfile,
    rows: list[_Row],
    quality: dict[int, float],
    new: set[int],
    ratings: dict[int, float],
    now: datetime,
) -> FeatureInputs:
    n = len(rows)
    counts = np.zeros((5, n), dtype=np.float32)
    followers = np.zeros(n, dtype=np.float32)
    user_price = 0.0
    cf = np.zeros(n, dtype=np.float32)
    if model is not None:
        index = model.item_index([row.card.content_id for row in rows])
        cf = model.cf_scores(profile.user_id, model.item_index(profile.recent_content), index)
        known = index >= 0
        table = model.items
        for r, column in enumerate(
            (table.impressions, table.clicks, table.buys, table.refunds, table.engagements)
        ):
            counts[r, known] = column[index[known]]
        followers, _ = model.creator_stats([row.card.creator_id for row in rows])
        prices = model.product_prices(profile.ordered_products)
        if (prices > 0).any():
            user_price = float(prices[prices > 0].mean())
    published = np.array([row.card.published_at.timestamp() for row in rows], dtype=np.float64)
    return FeatureInputs(
        user_activity_events=profile.activity,
        user_category_affinity=[profile.affinity.get(row.card.category_id, 0.0) for row in rows],
        user_follows_creator=[row.card.creator_id in profile.follows for row in rows],
        user_mean_price_fen=user_price,
        price_fen=[row.price_fen for row in rows],
        kind_codes=[KINDS.index(row.card.kind) if row.card.kind in KINDS else -1 for row in rows],
        duration_s=[row.card.duration_s for row in rows],
        age_s=now.timestamp() - published,
        impressions=counts[0],
        clicks=counts[1],
        buys=counts[2],
        refunds=counts[3],
        engagements=counts[4],
        creator_followers=followers,
        creator_rating=[ratings.get(row.card.creator_id, 0.0) for row in rows],
        merchant_quality=[
            quality.get(row.shop_id, 1.0) if row.shop_id is not None else 1.0 for row in rows
        ],
        merchant_new=[row.shop_id in new for row in rows],
        epoch_s=now.timestamp(),
        retrieval_score=[row.proposal.strength for row in rows],
        channel_codes=[CHANNELS.index(row.proposal.channel.value) for row in rows],
        user_item_cf=cf,
    )


def _served(row: _Row, placed: Placed, heads: Heads, values: np.ndarray, matrix: Any) -> _Served:
    i = placed.candidate.key
    card = row.card
    item = FeedItem(
        content_id=card.content_id,
        kind=card.kind,
        title_en=card.title_en,
        title_zh=card.title_zh,
        caption=card.caption,
        cover_url=card.cover_url,
        duration_s=card.duration_s,
        creator_id=card.creator_id,
        creator_name=card.creator_name,
        category_id=card.category_id,
        products=[
            FeedProduct(p.product_id, p.title_en, p.title_zh, p.min_price_fen, p.sku_id, p.shop_id)
            for p in row.products
        ],
        channel=row.proposal.channel,
        score=float(values[i]),
        reason=placed.reason.value,
    )
    return _Served(
        item=item,
        placed=placed,
        proposal=row.proposal,
        heads=(
            float(heads.p_click[i]),
            float(heads.p_buy_given_click[i]),
            float(heads.p_refund_given_buy[i]),
            float(heads.watch_s[i]),
        ),
        value=float(values[i]),
        features=np.ascontiguousarray(matrix[i], dtype=np.float32).tobytes(),
    )


_LOG_IMPRESSIONS = insert(table(BehaviourEvent))  # built once (`store.prepared`)
_LOG_FEATURES = insert(table(ServedFeatures))


def _log(
    uow: UnitOfWork,
    user_id: int,
    feed: Feed,
    page: list[_Served],
    explored: dict[int, int],
    now: datetime,
) -> None:
    connection = uow.session.connection()  # Core inserts: no ORM bookkeeping per row
    connection.execute(
        _LOG_IMPRESSIONS,
        [
            {
                "user_id": user_id,
                "action": Action.IMPRESSION.value,
                "content_id": s.item.content_id,
                "product_id": None,
                "creator_id": s.item.creator_id,
                "category_id": s.item.category_id,
                "shop_id": None,
                "value": 0.0,
                "request_id": feed.request_id,
                "source_event_id": None,
                "source_seq": 0,
                "occurred_at": now,
                "model_version": feed.model_version,
                "channel": s.proposal.channel.value,
                "position": s.placed.position,
                "retrieval_score": s.proposal.strength,
                "p_click": s.heads[0],
                "p_buy_given_click": s.heads[1],
                "p_refund_given_buy": s.heads[2],
                "expected_watch_s": s.heads[3],
                "value_fen": s.value,
                "anchor_category_id": explored.get(s.item.category_id)
                if s.proposal.channel == Channel.EXPLORATION
                else None,
            }
            for s in page
        ],
    )
    connection.execute(
        _LOG_FEATURES,
        [
            {
                "request_id": feed.request_id,
                "content_id": s.item.content_id,
                "user_id": user_id,
                "feature_set": FEATURE_SET,
                "vector": s.features,
                "served_at": now,
            }
            for s in page
        ],
    )

"""The baseline feed: interest, popular and fresh channels, filtered, mixed and logged.

1. The user's category interest profile from their recent behaviour (`rules.interest_profile`).
2. Candidates per channel: content in the user's top categories ranked by popularity; the most
   popular content of the recent window (cached); the newest content.
3. Each channel fills its quota of the mix (60/30/10, or 0/75/25 without a profile) with content
   the user has not been shown in their last impressions, skipping removed content and dropping
   products that cannot be bought (not on sale, or out of stock); an item whose every product is
   dropped is skipped. A channel that runs short hands its slots on (`rules.SPILL_ORDER`).
4. The channels are interleaved in proportion and an `impression` is logged per item with the
   request id, in the same transaction.

The later multi-stage engine replaces steps 2 and 3 (retrieval, ranking, re-ranking) and keeps the
shapes: `Feed`, `FeedItem`, `FeedProduct`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert

from xingqu.discovery.errors import DiscoveryError
from xingqu.discovery.models import BehaviourEvent
from xingqu.discovery.popularity import Popularity, popularity_cache
from xingqu.discovery.port import DataPort
from xingqu.discovery.rules import (
    SPILL_ORDER,
    Action,
    Channel,
    channel_quotas,
    freshness,
    interest_profile,
    interest_shares,
    interleave,
)
from xingqu.shared.access import Actor
from xingqu.shared.errors import invalid
from xingqu.store.uow import UnitOfWork

MAX_FEED_LIMIT = 50
SEEN_IMPRESSIONS = 200  # content shown in the user's last this-many impressions is not shown again
PROFILE_WINDOW = timedelta(days=30)
PROFILE_MAX_SIGNALS = 1_000
TOP_CATEGORIES = 5
PER_CATEGORY = 200  # candidates per interest category (newest first, then ranked)
FRESH_POOL = 100
MAX_ROUNDS = 4  # build rounds per fill; each round builds twice as many candidates as the last


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
    score: float


@dataclass(frozen=True, slots=True)
class Feed:
    request_id: str
    items: list[FeedItem]


def feed(uow: UnitOfWork, actor: Actor, *, limit: int = 20) -> Feed:
    """The next page of the actor's feed; logs what it shows."""
    if type(limit) is not int or not 1 <= limit <= MAX_FEED_LIMIT:
        raise invalid(DiscoveryError.INVALID_FEED_REQUEST, f"limit must be 1..{MAX_FEED_LIMIT}")
    with uow:
        now = uow.clock.now()
        bind = uow.session.get_bind().engine
        # Computed (when stale) on its own read-only connection, before this transaction starts.
        popularity = popularity_cache(bind).current(
            lambda: UnitOfWork(bind, uow.clock, readonly=True), now
        )
        data = DataPort(uow)
        signals = data.user_signals(
            actor.user_id, since=now - PROFILE_WINDOW, limit=PROFILE_MAX_SIGNALS
        )
        shares = interest_shares(interest_profile(signals, now), TOP_CATEGORIES)
        quotas = channel_quotas(limit, has_interest=bool(shares))
        cards = _CardSource(
            data, exclude=data.recent_impressions(actor.user_id, limit=SEEN_IMPRESSIONS)
        )
        queues = {
            Channel.INTEREST: _ChannelQueue(_interest(data, shares, popularity)),
            Channel.POPULAR: _ChannelQueue(popularity.ranked),
            Channel.FRESH: _ChannelQueue(_fresh(data, now)),
        }
        picked = _take(cards, queues, quotas)
        for channel in SPILL_ORDER:
            short = limit - sum(len(items) for items in picked.values())
            if short > 0:
                picked[channel] += _take(cards, queues, {channel: short})[channel]
        groups = [picked[channel] for channel in Channel]
        items = interleave(groups, [len(g) for g in groups])
        request_id = uuid.uuid4().hex
        if items:
            uow.session.execute(
                insert(BehaviourEvent), _impressions(actor.user_id, request_id, items, now)
            )
        uow.commit()
    return Feed(request_id=request_id, items=items)


def _interest(
    data: DataPort, shares: list[tuple[int, float]], popularity: Popularity
) -> list[tuple[int, float]]:
    """Content of the top categories, each ranked by popularity (then newest), mixed by share."""
    if not shares:
        return []
    by_category = data.published_in_categories([c for c, _ in shares], per_category=PER_CATEGORY)
    queues: list[list[tuple[int, float]]] = []
    for category_id, share in shares:
        ranked = sorted(
            by_category.get(category_id, []), key=lambda c: -popularity.points.get(c, 0.0)
        )
        queues.append([(c, share * (1.0 + popularity.percentile(c))) for c in ranked])
    return interleave(queues, [share for _, share in shares])


def _fresh(data: DataPort, now: datetime) -> list[tuple[int, float]]:
    return [
        (content_id, freshness((now - published_at).total_seconds()))
        for content_id, published_at in data.newest_published(limit=FRESH_POOL)
    ]


class _ChannelQueue:
    """One channel's ranked candidates, and the items built from them but not served yet."""

    def __init__(self, ranked: list[tuple[int, float]]) -> None:
        self.ranked = ranked
        self.position = 0
        self.ready: list[FeedItem] = []

    @property
    def exhausted(self) -> bool:
        return self.position >= len(self.ranked)

    def claim(self, cards: _CardSource, n: int) -> list[tuple[int, float]]:
        """The next `n` candidates that no channel has claimed and the user has not seen."""
        batch: list[tuple[int, float]] = []
        while len(batch) < n and not self.exhausted:
            candidate = self.ranked[self.position]
            self.position += 1
            if cards.claim(candidate[0]):
                batch.append(candidate)
        return batch


def _take(
    cards: _CardSource, queues: dict[Channel, _ChannelQueue], wants: dict[Channel, int]
) -> dict[Channel, list[FeedItem]]:
    """Up to `wants[channel]` items from each channel. The candidates of all channels are built
    together, a batch per round (twice the shortfall at first, doubling while items are skipped)."""
    for round_ in range(MAX_ROUNDS):
        batches: dict[Channel, list[tuple[int, float]]] = {}
        for channel, want in wants.items():
            queue = queues[channel]
            missing = want - len(queue.ready)
            if missing > 0 and not queue.exhausted:
                batches[channel] = queue.claim(cards, max(2 * missing, 8) * 2**round_)
        if not any(batches.values()):
            break
        for channel, items in cards.build(batches).items():
            queues[channel].ready += items
    taken: dict[Channel, list[FeedItem]] = {}
    for channel, want in wants.items():
        queue = queues[channel]
        taken[channel], queue.ready = queue.ready[:want], queue.ready[want:]
    return taken


class _CardSource:
    """Builds feed items from candidates, each content item at most once per request."""

    def __init__(self, data: DataPort, *, exclude: set[int]) -> None:
        self.data = data
        self.claimed = set(exclude)

    def claim(self, content_id: int) -> bool:
        if content_id in self.claimed:
            return False
        self.claimed.add(content_id)
        return True

    def build(
        self, batches: dict[Channel, list[tuple[int, float]]]
    ) -> dict[Channel, list[FeedItem]]:
        """Items for the candidates that are published and carry no product or a buyable one."""
        cards = self.data.content_cards([c for batch in batches.values() for c, _ in batch])
        products = self.data.product_cards({p for card in cards.values() for p in card.product_ids})
        built: dict[Channel, list[FeedItem]] = {}
        for channel, batch in batches.items():
            built[channel] = []
            for content_id, score in batch:
                card = cards.get(content_id)
                if card is None:
                    continue
                shown = [
                    FeedProduct(
                        p.product_id, p.title_en, p.title_zh, p.min_price_fen, p.sku_id, p.shop_id
                    )
                    for p in (products.get(pid) for pid in card.product_ids)
                    if p is not None
                ]
                if card.product_ids and not shown:
                    continue
                built[channel].append(
                    FeedItem(
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
                        products=shown,
                        channel=channel,
                        score=score,
                    )
                )
        return built


def _impressions(
    user_id: int, request_id: str, items: list[FeedItem], now: datetime
) -> list[dict[str, object]]:
    return [
        {
            "user_id": user_id,
            "action": Action.IMPRESSION.value,
            "content_id": item.content_id,
            "product_id": None,
            "creator_id": item.creator_id,
            "category_id": item.category_id,
            "value": 0.0,
            "request_id": request_id,
            "source_event_id": None,
            "source_seq": 0,
            "occurred_at": now,
        }
        for item in items
    ]

"""Discovery's data port: everything the engine reads, from one active unit of work.

Its own behaviour log directly; content and catalog through their participant functions. Offline
jobs (training, evaluation, benchmarks) provide the same shapes from Parquet, so the engine's code
does not care where the data comes from.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, func, select, tuple_

from xingqu.catalog import queries as catalog
from xingqu.content import queries as content
from xingqu.discovery.models import BehaviourEvent, ServedFeatures
from xingqu.discovery.ranking.features import FEATURE_SET
from xingqu.discovery.rules import Action, Signal
from xingqu.governance import queries as governance
from xingqu.shared.clock import is_real_time
from xingqu.store.prepared import columns
from xingqu.store.uow import UnitOfWork

LOG_COLUMNS = (
    "id",
    "user_id",
    "action",
    "content_id",
    "product_id",
    "creator_id",
    "category_id",
    "shop_id",
    "value",
    "occurred_at",
    "channel",
    "retrieval_score",
)
"""The behaviour columns offline training reads (`behaviour_chunk`), in order."""

_ACTIONS = {action.value: action for action in Action}
_ev = columns(BehaviourEvent)
_USER_SIGNALS = (  # on every feed request: built once (`store.prepared`)
    select(
        _ev.action,
        _ev.category_id,
        _ev.content_id,
        _ev.value,
        _ev.occurred_at,
        _ev.product_id,
        _ev.creator_id,
    )
    .where(
        _ev.user_id == bindparam("user_id"),
        _ev.occurred_at >= bindparam("since"),
        _ev.category_id.is_not(None),
    )
    .order_by(_ev.occurred_at.desc())
    .limit(bindparam("limit"))
)


class DataPort:
    def __init__(self, uow: UnitOfWork) -> None:
        uow.require_active()
        self.uow = uow

    # --- the behaviour log ----------------------------------------------------------------------

    def user_signals(
        self,
        user_id: int,
        *,
        since: datetime,
        limit: int,
        durations: Callable[[set[int]], dict[int, int]] | None = None,
    ) -> list[Signal]:
        """The user's most recent behaviour with a category (impressions included), newest
        first. `durations` looks up content durations (default: the content context)."""
        rows = self.uow.session.execute(
            _USER_SIGNALS, {"user_id": user_id, "since": since, "limit": limit}
        ).all()
        watched = {cid for action, _, cid, *_ in rows if action == Action.WATCH and cid is not None}
        lookup = durations or (
            lambda ids: {cid: f.duration_s for cid, f in self.content_facts(ids).items()}
        )
        seconds = lookup(watched) if watched else {}
        return [
            Signal(
                _ACTIONS[action],
                cat,
                cid,
                value,
                seconds.get(cid, 0) if cid is not None else 0,
                at,
                pid,
                creator,
            )
            for action, cat, cid, value, at, pid, creator in rows
            if cat is not None  # (the query asks for rows with a category)
        ]

    def engagement_counts(self, *, since: datetime) -> list[tuple[int, str, int]]:
        """(content id, action, count) for every engagement with content since `since`."""
        ev = BehaviourEvent
        rows = self.uow.session.execute(
            select(ev.content_id, ev.action, func.count())
            .where(
                ev.occurred_at >= since,
                ev.content_id.is_not(None),
                ev.action != Action.IMPRESSION,
            )
            # (action first: SQLite then reads the window from the time index, not every row)
            .group_by(ev.action, ev.content_id)
        )
        return [(cid, action, n) for cid, action, n in rows if cid is not None]

    def shop_outcomes(self, *, since: datetime) -> list[tuple[int, str, int]]:
        """(shop id, action, count) of orders, refunds and complaints per shop since `since`."""
        ev = BehaviourEvent
        rows = self.uow.session.execute(
            select(ev.shop_id, ev.action, func.count())
            .where(
                ev.shop_id.is_not(None),
                ev.action.in_([Action.ORDER, Action.REFUND, Action.COMPLAINT]),
                ev.occurred_at >= since,
            )
            .group_by(ev.shop_id, ev.action)
        )
        return [(shop, action, n) for shop, action, n in rows if shop is not None]

    def shops_of_products(self, product_ids: Collection[int]) -> dict[int, int]:
        """product id → the shop that sells it: from the log's orders of it, else (a product
        never ordered) from the catalog when it is on sale; absent when neither knows."""
        ids = sorted(set(product_ids))
        if not ids:
            return {}
        ev = BehaviourEvent
        known = {
            pid: shop
            for pid, shop in self.uow.session.execute(
                select(ev.product_id, func.min(ev.shop_id))
                .where(ev.product_id.in_(ids), ev.action == Action.ORDER, ev.shop_id.is_not(None))
                .group_by(ev.product_id)
            )
            if pid is not None and shop is not None
        }
        missing = [pid for pid in ids if pid not in known]
        for pid, card in self.product_cards(missing).items():
            known[pid] = card.shop_id
        return known

    def behaviour_chunk(
        self, *, after_id: int, limit: int, until: datetime | None = None
    ) -> Sequence[Row[Any]]:
        """Up to `limit` behaviour rows with id > `after_id` (and before `until`), by id, with
        the columns of `LOG_COLUMNS`: how offline training reads the log."""
        ev = BehaviourEvent
        where = [ev.id > after_id]
        if until is not None:
            where.append(ev.occurred_at < until)
        return self.uow.session.execute(
            select(*(getattr(ev, name) for name in LOG_COLUMNS))
            .where(*where)
            .order_by(ev.id)
            .limit(limit)
        ).all()

    def served_features_chunk(
        self, *, since: datetime, until: datetime, after: tuple[str, int] | None, limit: int
    ) -> list[tuple[str, int, int, datetime, bytes]]:
        """Up to `limit` logged feature rows of the current `FEATURE_SET` served in [`since`,
        `until`), ordered by (request id, content id) after `after`: (request id, content id,
        user id, served at, float32 vector bytes)."""
        sf = ServedFeatures
        where = [
            sf.feature_set == FEATURE_SET,
            sf.served_at >= since,
            sf.served_at < until,
        ]
        if after is not None:
            where.append(tuple_(sf.request_id, sf.content_id) > tuple_(*after))
        rows = self.uow.session.execute(
            select(sf.request_id, sf.content_id, sf.user_id, sf.served_at, sf.vector)
            .where(*where)
            .order_by(sf.request_id, sf.content_id)
            .limit(limit)
        )
        return [(r, c, u, at, v) for r, c, u, at, v in rows]

    # --- merchants --------------------------------------------------------------------------------

    def merchant_quality(self, shop_ids: Collection[int]) -> dict[int, float]:
        """Service quality 0..1 per shop, from its refund and complaint rates in the behaviour
        log (`rules.merchant_quality`; the shops' counts are cached for a minute)."""
        standing = self._standing()
        return {shop: standing.quality(shop) for shop in shop_ids}

    def new_merchants(self, shop_ids: Collection[int]) -> set[int]:
        """Those of `shop_ids` with fewer than `rules.NEW_MERCHANT_ORDERS` recent orders."""
        standing = self._standing()
        return {shop for shop in shop_ids if standing.is_new(shop)}

    def traffic_limited_shops(self, shop_ids: Collection[int]) -> set[int]:
        """Those of `shop_ids` under a traffic-limit sanction now (governance)."""
        return governance.traffic_limited_shops(self.uow) & set(shop_ids)

    def experience_scores(self, shop_ids: Collection[int]) -> dict[int, float]:
        """shop id → its merchant experience score (50–100), for shops governance has scored."""
        return {
            shop: view.score
            for shop, view in governance.merchant_scores(self.uow, shop_ids).items()
            if view.computed_at is not None
        }

    def creator_reputations(self, creator_ids: Collection[int]) -> dict[int, float]:
        """creator id → reputation (0–5; governance's default for a creator never scored)."""
        return {
            c: v.score for c, v in governance.creator_reputations(self.uow, creator_ids).items()
        }

    def _standing(self):  # type: ignore[no-untyped-def]
        from xingqu.discovery.popularity import shop_standing_cache

        bind = self.uow.session.get_bind().engine
        clock = self.uow.clock
        return shop_standing_cache(bind).current(
            lambda: UnitOfWork(bind, clock, readonly=True),
            clock.now(),
            real_time=is_real_time(clock),
        )

    # --- content ----------------------------------------------------------------------------------

    def content_facts(self, content_ids: Collection[int]) -> dict[int, content.ContentFacts]:
        return content.content_facts(self.uow, content_ids)

    def content_cards(self, content_ids: Collection[int]) -> dict[int, content.ContentCard]:
        return content.content_cards(self.uow, content_ids)

    def published_among(self, content_ids: Collection[int]) -> set[int]:
        return content.published_among(self.uow, content_ids)

    def published_in_categories(
        self, category_ids: Collection[int], *, per_category: int
    ) -> dict[int, list[int]]:
        return content.published_in_categories(self.uow, category_ids, per_category=per_category)

    def newest_published(self, *, limit: int) -> list[tuple[int, int, datetime]]:
        return content.newest_published(self.uow, limit=limit)

    def followed_creators(self, user_id: int, *, limit: int) -> list[int]:
        return content.followed_creator_ids(self.uow, user_id, limit=limit)

    def newest_by_creators(
        self, creator_ids: Collection[int], *, since: datetime, limit: int
    ) -> list[tuple[int, int, datetime]]:
        return content.newest_by_creators(self.uow, creator_ids, since=since, limit=limit)

    def published_catalogue(self) -> list[content.CatalogueEntry]:
        return content.published_catalogue(self.uow)

    def follower_counts(self, creator_ids: Collection[int]) -> dict[int, int]:
        return content.follower_counts(self.uow, creator_ids)

    # --- catalog ----------------------------------------------------------------------------------

    def product_cards(self, product_ids: Collection[int]) -> dict[int, catalog.ProductCard]:
        return catalog.sellable_product_cards(self.uow, product_ids)

    def product_categories(self, product_ids: Collection[int]) -> dict[int, int]:
        return catalog.product_categories(self.uow, product_ids)

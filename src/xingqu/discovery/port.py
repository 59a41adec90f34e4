"""Discovery's data port: everything the engine reads, from one active unit of work.

Its own behaviour log directly; content and catalog through their participant functions. Offline
jobs (training, evaluation, benchmarks) provide the same shapes from Parquet, so the engine's code
does not care where the data comes from.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select

from xingqu.catalog import queries as catalog
from xingqu.content import queries as content
from xingqu.discovery.models import BehaviourEvent
from xingqu.discovery.rules import Action, Signal
from xingqu.store.uow import UnitOfWork


class DataPort:
    def __init__(self, uow: UnitOfWork) -> None:
        uow.require_active()
        self.uow = uow

    # --- the behaviour log ----------------------------------------------------------------------

    def user_signals(self, user_id: int, *, since: datetime, limit: int) -> list[Signal]:
        """The user's most recent behaviour with a category, newest first."""
        ev = BehaviourEvent
        rows = self.uow.session.execute(
            select(ev.action, ev.category_id, ev.content_id, ev.value, ev.occurred_at)
            .where(ev.user_id == user_id, ev.occurred_at >= since, ev.category_id.is_not(None))
            .order_by(ev.occurred_at.desc())
            .limit(limit)
        ).all()
        watched = {
            cid for action, _, cid, _, _ in rows if action == Action.WATCH and cid is not None
        }
        durations = {cid: f.duration_s for cid, f in self.content_facts(watched).items()}
        return [
            Signal(
                Action(action), cat, cid, value, durations.get(cid, 0) if cid is not None else 0, at
            )
            for action, cat, cid, value, at in rows
            if cat is not None  # (the query asks for rows with a category)
        ]

    def recent_impressions(self, user_id: int, *, limit: int) -> set[int]:
        """The content of the user's last `limit` impressions."""
        ev = BehaviourEvent
        rows = self.uow.session.scalars(
            select(ev.content_id)
            .where(ev.user_id == user_id, ev.action == Action.IMPRESSION)
            .order_by(ev.occurred_at.desc())
            .limit(limit)
        )
        return {cid for cid in rows if cid is not None}

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

    # --- content ----------------------------------------------------------------------------------

    def content_facts(self, content_ids: Collection[int]) -> dict[int, content.ContentFacts]:
        return content.content_facts(self.uow, content_ids)

    def content_cards(self, content_ids: Collection[int]) -> dict[int, content.ContentCard]:
        return content.content_cards(self.uow, content_ids)

    def published_in_categories(
        self, category_ids: Collection[int], *, per_category: int
    ) -> dict[int, list[int]]:
        return content.published_in_categories(self.uow, category_ids, per_category=per_category)

    def newest_published(self, *, limit: int) -> list[tuple[int, datetime]]:
        return content.newest_published(self.uow, limit=limit)

    # --- catalog ----------------------------------------------------------------------------------

    def product_cards(self, product_ids: Collection[int]) -> dict[int, catalog.ProductCard]:
        return catalog.sellable_product_cards(self.uow, product_ids)

    def product_categories(self, product_ids: Collection[int]) -> dict[int, int]:
        return catalog.product_categories(self.uow, product_ids)

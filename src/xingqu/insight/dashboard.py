"""The quality-GMV dashboard: the figures of a window of days, in total and day by day.

Operators read the whole platform's; a merchant reads their own shops' (the new-customer share of
their buyers, their refund and review rates). The figures are `insight.rules` over the facts of
`insight.facts`; this module only chooses the window and checks who may read what.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from xingqu.catalog import queries as catalog_queries
from xingqu.insight.facts import paid_order_facts
from xingqu.insight.rules import QualityFigures, daily_quality_figures, every_day, quality_figures
from xingqu.shared.access import Actor, Role
from xingqu.store.uow import UnitOfWork

WINDOWS = (7, 30, 90)
DEFAULT_WINDOW = 30


@dataclass(frozen=True, slots=True)
class Dashboard:
    first: date
    last: date
    total: QualityFigures
    days: list[QualityFigures]  # one per calendar day, first to last


def window_days(asked: int | None) -> int:
    """One of the offered windows (the default for anything else)."""
    return asked if asked in WINDOWS else DEFAULT_WINDOW


def platform_dashboard(uow: UnitOfWork, actor: Actor, *, days: int = DEFAULT_WINDOW) -> Dashboard:
    """Every shop's figures over the `days` days ending today (operators)."""
    actor.require(Role.OPERATOR)
    with uow:
        return _dashboard(uow, days, None)


def shop_dashboard(uow: UnitOfWork, actor: Actor, *, days: int = DEFAULT_WINDOW) -> Dashboard:
    """The figures of the merchant's own shops over the `days` days ending today."""
    actor.require(Role.MERCHANT)
    shops = {shop.id for shop in catalog_queries.shops_of_user(uow, actor.user_id)}
    with uow:
        return _dashboard(uow, days, shops)


def _dashboard(uow: UnitOfWork, days: int, shop_ids: set[int] | None) -> Dashboard:
    last = uow.clock.now().astimezone(UTC).date()
    first = last - timedelta(days=window_days(days) - 1)
    since = datetime.combine(first, time(), tzinfo=UTC)
    until = datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC)
    facts = paid_order_facts(uow, since=since, until=until, shop_ids=shop_ids)
    stars = [s for _, s in facts.reviews]
    daily = daily_quality_figures(facts.orders, facts.reviews)
    return Dashboard(
        first=first,
        last=last,
        total=quality_figures(facts.orders, stars),
        days=every_day(daily, first, last),
    )

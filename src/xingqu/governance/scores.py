"""Recompute the merchant experience scores and creator reputations from the platform's own
data and store them with their breakdowns: one transaction per run (`xingqu governance scores`,
daily in production). Each shop's score is also kept for the day (UTC) of the run in
`merchant_score_history` (a second run on the same day replaces that day's row), so that its trend
can be shown (`queries.merchant_score_history`). The facts come from the other contexts' queries: trade (paid and signed
orders, pickup times, on-time delivery), after-sales (quality returns, handling within the SLA,
customer-service first responses), discovery (reviews, and for creators the orders their content
led to, complaints and refunds), and governance's own confirmed cases."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from xingqu.aftersales import queries as aftersales_queries
from xingqu.catalog import queries as catalog_queries
from xingqu.discovery import queries as discovery_queries
from xingqu.governance import audit
from xingqu.governance.models import (
    AuditEntry,
    Case,
    CreatorReputation,
    MerchantScore,
    MerchantScoreDay,
)
from xingqu.governance.rules import CaseStatus
from xingqu.governance.scoring import MerchantInputs, Sale, creator_reputation, merchant_score
from xingqu.shared.access import SYSTEM, Actor, Role
from xingqu.shared.clock import as_utc
from xingqu.store.uow import UnitOfWork
from xingqu.trade import queries as trade_queries

MERCHANT_WINDOW = timedelta(days=30)
CREATOR_WINDOW = timedelta(days=90)
FULL_RUN = "scores.recomputed"  # every shop and creator: the daily timer's mark
PARTIAL_RUN = "scores.recomputed_some"
_SCORES_LOCK = 7_2024_0405  # PostgreSQL advisory lock: one score run at a time
FAKE_ORDER_CODES = frozenset(
    {"brushing.order_velocity", "brushing.linked_buyers", "reviews.manipulation"}
)


@dataclass(frozen=True, slots=True)
class ScoreRun:
    shops: int
    creators: int


def recompute_scores(
    uows: Callable[..., UnitOfWork],
    actor: Actor = SYSTEM,
    *,
    shop_ids: list[int] | None = None,
    creator_ids: list[int] | None = None,
) -> ScoreRun:
    """Recompute the scores of the given shops and creators (all when None)."""
    actor.require(Role.OPERATOR)
    with uows() as uow:
        uow.take_turn(_SCORES_LOCK)  # concurrent runs never insert the same shop's row twice
        return _recompute(uow, actor, shop_ids, creator_ids)


def recompute_daily(uows: Callable[..., UnitOfWork]) -> ScoreRun | None:
    """The daily timer's run: every score, unless a full run already took place today (UTC), in
    which case nothing changes and None is returned. The check is made first without a write
    transaction (the timer ticks every 30 s; SQLite would take its write lock each time), then
    again once it is this run's turn."""
    with uows(readonly=True) as uow:
        if _done_today(uow):
            return None
    with uows() as uow:
        uow.take_turn(_SCORES_LOCK)
        if _done_today(uow):
            return None
        return _recompute(uow, SYSTEM, None, None)


def _recompute(
    uow: UnitOfWork, actor: Actor, shop_ids: list[int] | None, creator_ids: list[int] | None
) -> ScoreRun:
    now = uow.clock.now()
    shops = _merchant_scores(uow, shop_ids, now)
    creators = _creators(uow, creator_ids, now)
    full = shop_ids is None and creator_ids is None
    audit.record(
        uow, actor, FULL_RUN if full else PARTIAL_RUN, "scores", 0, shop_id=None,
        reason=f"{shops} shops, {creators} creators",
    )  # fmt: skip
    uow.commit()
    return ScoreRun(shops, creators)


def _done_today(uow: UnitOfWork) -> bool:
    """A full run has taken place today (UTC): the audit log holds its mark."""
    at = uow.session.scalar(
        select(func.max(AuditEntry.at)).where(
            AuditEntry.subject_type == "scores", AuditEntry.action == FULL_RUN
        )
    )
    return at is not None and as_utc(at).date() >= uow.clock.now().astimezone(UTC).date()


def _merchant_scores(uow: UnitOfWork, shop_ids: list[int] | None, now: datetime) -> int:
    """Each shop's score from trade's, after-sales' and discovery's fact queries."""
    since = now - MERCHANT_WINDOW
    until = now + timedelta(microseconds=1)  # what happened at this very moment counts
    window: dict[str, Any] = {"since": since, "until": until, "shop_ids": shop_ids}
    counts = trade_queries.order_counts(uow, **window)
    pickups = trade_queries.pickup_times(uow, **window)
    deliveries = trade_queries.delivery_punctuality(uow, **window)
    handling = aftersales_queries.handling_times(uow, **window)
    returns = aftersales_queries.quality_returns(uow, **window)
    responses = aftersales_queries.first_responses(uow, **window)
    feedback = discovery_queries.product_feedback(uow, since, until, ("review",))
    product_shop = catalog_queries.product_shops(uow, {product for _, product, *_ in feedback})
    stars: dict[int, list[float]] = defaultdict(list)
    for _, product, _, value, _ in feedback:
        if product in product_shop:
            stars[product_shop[product]].append(value)
    confirmed = list(
        uow.session.scalars(
            select(Case).where(Case.status == CaseStatus.CONFIRMED, Case.decided_at >= since)
        )
    )
    shops = set(shop_ids) if shop_ids is not None else set(counts) | set(stars)
    for shop_id in sorted(shops):
        count = counts.get(shop_id)
        delivery = deliveries.get(shop_id)
        handled = handling.get(shop_id)
        answered = responses.get(shop_id)
        cases = [c for c in confirmed if c.shop_id == shop_id]
        inputs = MerchantInputs(
            paid_orders=count.paid if count else 0,
            stars=stars.get(shop_id, []),
            signed_orders=count.signed if count else 0,
            quality_returns=returns.get(shop_id, 0),
            pickup_hours=[p.hours for p in pickups.get(shop_id, [])],
            due_waybills=delivery.due if delivery else 0,
            on_time_waybills=delivery.on_time if delivery else 0,
            aftersales_handled=(handled.decided + handled.overdue) if handled else None,
            aftersales_in_sla=handled.within_sla if handled else None,
            response_minutes=(
                [answered.mean_minutes]
                if answered is not None and answered.mean_minutes is not None
                else None
            ),
            incidents=sum(1 for c in cases if c.reason_code not in FAKE_ORDER_CODES),
            fake_orders=any(c.reason_code in FAKE_ORDER_CODES for c in cases),
        )
        result = merchant_score(inputs)
        row = uow.session.get(MerchantScore, shop_id)
        if row is None:
            row = MerchantScore(shop_id=shop_id)
            uow.session.add(row)
        row.score, row.stage = result.score, result.stage
        row.breakdown, row.computed_at = result.breakdown(), until
        _keep_day(uow, shop_id, now.astimezone(UTC).date(), row)
    return len(shops)


def _keep_day(uow: UnitOfWork, shop_id: int, today: date, latest: MerchantScore) -> None:
    """The shop's row for `today` in the score history: the latest score, new or replaced."""
    row = uow.session.get(MerchantScoreDay, (shop_id, today))
    if row is None:
        row = MerchantScoreDay(shop_id=shop_id, day=today)
        uow.session.add(row)
    row.score, row.stage, row.computed_at = latest.score, latest.stage, latest.computed_at


def _creators(uow: UnitOfWork, creator_ids: list[int] | None, now: datetime) -> int:
    since = now - CREATOR_WINDOW
    sales_rows = discovery_queries.creator_sales(uow, creator_ids, since)
    feedback = discovery_queries.product_feedback(
        uow, since, now + timedelta(microseconds=1), ("review", "complaint", "refund")
    )
    about: dict[tuple[int, int], list[tuple[str, float]]] = defaultdict(list)
    for user, product, action, value, _ in feedback:
        about[(user, product)].append((action, value))
    sales: dict[int, list[Sale]] = defaultdict(list)
    for creator, buyer, product, at in sales_rows:
        events = about.get((buyer, product), [])
        stars = [v for a, v in events if a == "review"]
        sales[creator].append(
            Sale(
                at=at,
                stars=stars[-1] if stars else None,
                complained=any(a == "complaint" for a, _ in events),
                refunded=any(a == "refund" for a, _ in events),
            )
        )
    wanted = set(creator_ids) if creator_ids is not None else set(sales)
    for creator_id in sorted(wanted):
        score, breakdown = creator_reputation(sales.get(creator_id, []), now)
        row = uow.session.get(CreatorReputation, creator_id)
        if row is None:
            row = CreatorReputation(creator_id=creator_id)
            uow.session.add(row)
        row.score, row.breakdown, row.computed_at = score, breakdown, now
    return len(wanted)

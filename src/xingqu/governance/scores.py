"""Recompute the merchant experience scores and creator reputations from the platform's own
data (orders, shipping, refunds, reviews, complaints, confirmed cases) and store them with their
breakdowns: one transaction per run (`xingqu governance scores`, daily in production)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from xingqu.catalog import queries as catalog_queries
from xingqu.discovery import queries as discovery_queries
from xingqu.governance import audit
from xingqu.governance.facts import TradeFacts
from xingqu.governance.models import Case, CreatorReputation, MerchantScore
from xingqu.governance.rules import CaseStatus
from xingqu.governance.scoring import MerchantInputs, Sale, creator_reputation, merchant_score
from xingqu.shared.access import SYSTEM, Actor, Role
from xingqu.store.uow import UnitOfWork

MERCHANT_WINDOW = timedelta(days=30)
CREATOR_WINDOW = timedelta(days=90)
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
    actor.require(Role.OPERATOR)
    with uows() as uow:
        now = uow.clock.now()
        facts = TradeFacts(uow)
        until = now + timedelta(microseconds=1)  # what happened at this very moment counts
        orders = facts.orders(now - MERCHANT_WINDOW, until)
        feedback = facts.feedback(now - MERCHANT_WINDOW, until)
        product_shop = catalog_queries.product_shops(uow, {f.product_id for f in feedback})
        shops = set(shop_ids) if shop_ids is not None else {o.shop_id for o in orders}
        confirmed = list(
            uow.session.scalars(
                select(Case).where(
                    Case.status == CaseStatus.CONFIRMED, Case.decided_at >= now - MERCHANT_WINDOW
                )
            )
        )
        by_shop = defaultdict(list)
        for o in orders:
            by_shop[o.shop_id].append(o)
        stars = defaultdict(list)
        for f in feedback:
            if f.action == "review" and f.product_id in product_shop:
                stars[product_shop[f.product_id]].append(f.stars)
        for shop_id in sorted(shops):
            mine = by_shop.get(shop_id, [])
            paid = [o for o in mine if o.paid_at is not None]
            signed = [o for o in mine if o.delivered_at is not None]
            shipped = [o for o in paid if o.shipped_at is not None and o.paid_at is not None]
            due = [
                o
                for o in paid
                if o.ship_by is not None and (o.shipped_at is not None or o.ship_by < now)
            ]
            cases = [c for c in confirmed if c.shop_id == shop_id]
            inputs = MerchantInputs(
                paid_orders=len(paid),
                stars=stars.get(shop_id, []),
                signed_orders=len(signed),
                quality_returns=sum(1 for o in signed if o.refunded_fen > 0),
                pickup_hours=[
                    (o.shipped_at - o.paid_at).total_seconds() / 3600
                    for o in shipped
                    if o.shipped_at is not None and o.paid_at is not None
                ],
                due_waybills=len(due),
                on_time_waybills=sum(
                    1
                    for o in due
                    if o.shipped_at is not None
                    and o.ship_by is not None
                    and o.shipped_at <= o.ship_by
                ),
                aftersales_handled=None,
                aftersales_in_sla=None,
                response_minutes=None,
                incidents=sum(1 for c in cases if c.reason_code not in FAKE_ORDER_CODES),
                fake_orders=any(c.reason_code in FAKE_ORDER_CODES for c in cases),
            )
            result = merchant_score(inputs)
            row = uow.session.get(MerchantScore, shop_id)
            if row is None:
                row = MerchantScore(shop_id=shop_id)
                uow.session.add(row)
            row.score, row.stage = result.score, result.stage
            row.breakdown, row.computed_at = result.breakdown(), now
        creators = _creators(uow, creator_ids, now)
        audit.record(
            uow, actor, "scores.recomputed", "scores", 0, shop_id=None,
            reason=f"{len(shops)} shops, {creators} creators",
        )  # fmt: skip
        uow.commit()
        return ScoreRun(len(shops), creators)


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

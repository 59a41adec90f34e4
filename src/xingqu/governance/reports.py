"""The governance figures the platform publishes, by reason and period.

- intercepted: listings refused before they went live: rejected by review on create or edit, or
  held for an operator who then rejected them;
- taken_down: products removed while live: by a re-scan, by an operator deciding a watched
  listing, or by a product-ban sanction;
- violations: shop cases confirmed by an operator;
- appeals_upheld: appeals an operator decided in the merchant's favour.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select

from xingqu.governance.errors import GovernanceError
from xingqu.governance.models import Appeal, Case, ListingReview, Sanction
from xingqu.governance.review import QueueStatus
from xingqu.governance.rules import AppealStatus, AppealSubject, CaseStatus, SanctionLevel
from xingqu.governance.screening import Decision
from xingqu.shared.access import Actor, Role
from xingqu.shared.clock import as_utc
from xingqu.shared.errors import invalid
from xingqu.store.uow import UnitOfWork

METRICS = ("intercepted", "taken_down", "violations", "appeals_upheld")


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class ReportRow:
    metric: str
    period: str  # 2026-03-02, 2026-W10, 2026-03
    reason: str
    count: int


def bucket(when: datetime, period: Period) -> str:
    when = as_utc(when)
    if period == Period.DAY:
        return f"{when:%Y-%m-%d}"
    if period == Period.WEEK:
        year, week, _ = when.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{when:%Y-%m}"


def governance_report(
    uow: UnitOfWork, actor: Actor, since: datetime, until: datetime, period: str = "month"
) -> list[ReportRow]:
    """Counts per metric, period and reason code for [since, until) (operators)."""
    actor.require(Role.OPERATOR)
    try:
        p = Period(period)
    except ValueError:
        raise invalid(
            GovernanceError.INVALID_PERIOD, f"period is one of {', '.join(Period)}, not {period!r}"
        ) from None
    if since >= until:
        raise invalid(GovernanceError.INVALID_PERIOD, "since must be before until")
    counts: Counter[tuple[str, str, str]] = Counter()
    with uow:
        s = uow.session
        lr = ListingReview
        reviews = s.execute(  # columns, not entities: the report reads thousands of reviews
            select(
                lr.created_at,
                lr.decided_at,
                lr.codes,
                lr.decision,
                lr.queue_status,
                lr.trigger,
                lr.decision_code,
            ).where(
                ListingReview.created_at < until,
                (ListingReview.created_at >= since) | (ListingReview.decided_at >= since),
            )
        )
        for r in reviews:
            created, decided = as_utc(r.created_at), r.decided_at and as_utc(r.decided_at)
            first = r.codes[0] if r.codes else "unspecified"
            auto_reject = r.decision == Decision.REJECT and since <= created < until
            operator_reject = (
                r.queue_status == QueueStatus.REJECTED
                and decided is not None
                and since <= decided < until
            )
            if auto_reject and r.trigger in ("create", "edit"):
                for code in r.codes:
                    counts["intercepted", bucket(created, p), code] += 1
            elif auto_reject and r.trigger == "rescan":
                for code in r.codes:
                    counts["taken_down", bucket(created, p), code] += 1
            if operator_reject and decided is not None:
                metric = "intercepted" if r.decision == Decision.REVIEW else "taken_down"
                counts[metric, bucket(decided, p), r.decision_code or first] += 1
        for sanction, reason in s.execute(
            select(Sanction, Case.reason_code)
            .join(Case, Case.id == Sanction.case_id)
            .where(
                Sanction.level == SanctionLevel.PRODUCT_BAN,
                Sanction.starts_at >= since,
                Sanction.starts_at < until,
            )
        ):
            products = sum(1 for c in sanction.changes if c.get("kind") == "product")
            if products:
                counts["taken_down", bucket(sanction.starts_at, p), reason] += products
        for case in s.scalars(
            select(Case).where(
                Case.status == CaseStatus.CONFIRMED,
                Case.decided_at >= since,
                Case.decided_at < until,
            )
        ):
            assert case.decided_at is not None
            counts["violations", bucket(case.decided_at, p), case.reason_code] += 1
        for appeal in s.scalars(
            select(Appeal).where(
                Appeal.status == AppealStatus.UPHELD,
                Appeal.decided_at >= since,
                Appeal.decided_at < until,
            )
        ):
            assert appeal.decided_at is not None
            counts["appeals_upheld", bucket(appeal.decided_at, p), _appeal_reason(uow, appeal)] += 1
    return [
        ReportRow(metric, period_, reason, n)
        for (metric, period_, reason), n in sorted(
            counts.items(), key=lambda kv: (METRICS.index(kv[0][0]), kv[0][1], kv[0][2])
        )
    ]


def _appeal_reason(uow: UnitOfWork, appeal: Appeal) -> str:
    s = uow.session
    if appeal.subject == AppealSubject.SANCTION:
        sanction = s.get(Sanction, appeal.subject_id)
        case = s.get(Case, sanction.case_id) if sanction is not None else None
        return case.reason_code if case is not None else "unspecified"
    review = s.get(ListingReview, appeal.subject_id)
    if review is None:
        return "unspecified"
    return review.decision_code or (review.codes[0] if review.codes else "unspecified")

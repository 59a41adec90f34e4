"""The operator console: the quality-GMV dashboard with its charts, the listing review queue with
the evidence marked in each listing, cases and sanctions, appeals, the rule set and its re-scans,
and the governance report. Governance's services check that the actor is an operator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from xingqu.api.deps import PlatformDep
from xingqu.catalog import queries as catalog_queries
from xingqu.catalog.models import Product
from xingqu.governance import cases, listing, reports
from xingqu.governance import queries as governance_queries
from xingqu.governance.models import ListingReview
from xingqu.governance.review import ENGINE
from xingqu.insight.dashboard import WINDOWS, platform_dashboard, window_days
from xingqu.shared.access import Actor, Role
from xingqu.shared.paging import PageRequest
from xingqu.web import forms
from xingqu.web.charts import bars
from xingqu.web.evidence import Marked, mark_listing
from xingqu.web.figures import dashboard_charts
from xingqu.web.rendering import done_redirect, render
from xingqu.web.session import VerifiedForm, require_role

router = APIRouter(prefix="/ops", include_in_schema=False)

Operator = Annotated[Actor, Depends(require_role(Role.OPERATOR))]

QUEUE_PAGE = 20
REPORT_PERIODS = ("day", "week", "month")
REPORT_METRICS = (
    "intercepted",
    "taken_down",
    "violations",
    "appeals_upheld",
)


@dataclass(frozen=True, slots=True)
class QueuedReview:
    review: ListingReview
    product: Product
    marked: list[Marked]
    other_findings: list[dict[str, Any]]  # findings about SKU names or prices


# --- the quality-GMV dashboard -------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def dashboard(
    request: Request,
    platform: PlatformDep,
    actor: Operator,
    days: Annotated[int, Query()] = 30,
) -> Response:
    dash = platform_dashboard(platform.uow(readonly=True), actor, days=window_days(days))
    charts = dashboard_charts(dash)
    return render(
        request,
        "ops/dashboard.html",
        actor=actor,
        dash=dash,
        charts=charts,
        days=window_days(days),
        windows=WINDOWS,
    )


# --- listing review ------------------------------------------------------------------------------


@router.get("/reviews", response_class=HTMLResponse)
def review_queue(
    request: Request,
    platform: PlatformDep,
    actor: Operator,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    page = governance_queries.review_queue(
        platform.uow(readonly=True), actor, PageRequest(QUEUE_PAGE, offset)
    )
    queued = [_queued(platform, review) for review in page.items]
    return render(
        request,
        "ops/reviews.html",
        actor=actor,
        page=page,
        queued=queued,
        codes=ENGINE.ruleset.codes(),
    )


def _queued(platform: PlatformDep, review: ListingReview) -> QueuedReview:
    product = catalog_queries.get_product(platform.uow(readonly=True), review.product_id)
    texts = {
        "title": product.title_zh,
        "title_en": product.title_en,
        "description": product.description,
    }
    marked = mark_listing(texts, review.findings)
    shown = {m.field for m in marked}
    other = [f for f in review.findings if f.get("field") not in shown]
    return QueuedReview(review, product, marked, other)


@router.post("/reviews/{review_id}/decision")
def decide_listing(
    review_id: int, platform: PlatformDep, actor: Operator, form: VerifiedForm
) -> Response:
    approve = forms.choice(form, "decision", ("approve", "reject")) == "approve"
    reason = form.get("reason_code") or None
    listing.decide_listing(
        platform.uow(),
        actor,
        review_id,
        approve=approve,
        note=forms.text(form, "note", max_length=500),
        reason_code=None if approve else reason,
    )
    return done_redirect("/ops/reviews", "approved" if approve else "rejected")


# --- cases, sanctions, appeals -------------------------------------------------------------------


@router.get("/cases", response_class=HTMLResponse)
def case_list(
    request: Request,
    platform: PlatformDep,
    actor: Operator,
    status: Annotated[str, Query()] = "open",
) -> Response:
    page = governance_queries.list_cases(
        platform.uow(readonly=True), actor, PageRequest(50), status=status or None
    )
    sanctions = governance_queries.list_sanctions(
        platform.uow(readonly=True), actor, PageRequest(50)
    )
    return render(
        request, "ops/cases.html", actor=actor, page=page, status=status, sanctions=sanctions
    )


@router.post("/cases/{case_id}/decision")
def decide_case(
    case_id: int, platform: PlatformDep, actor: Operator, form: VerifiedForm
) -> Response:
    confirm = forms.choice(form, "decision", ("confirm", "dismiss")) == "confirm"
    cases.decide_case(
        platform.uow(),
        actor,
        case_id,
        confirm=confirm,
        note=forms.text(form, "note", max_length=500),
    )
    return done_redirect("/ops/cases", "confirmed" if confirm else "dismissed")


@router.get("/appeals", response_class=HTMLResponse)
def appeals(
    request: Request,
    platform: PlatformDep,
    actor: Operator,
    status: Annotated[str, Query()] = "pending",
) -> Response:
    page = governance_queries.list_appeals(
        platform.uow(readonly=True), actor, PageRequest(50), status=status or None
    )
    return render(request, "ops/appeals.html", actor=actor, page=page, status=status)


@router.post("/appeals/{appeal_id}/decision")
def decide_appeal(
    appeal_id: int, platform: PlatformDep, actor: Operator, form: VerifiedForm
) -> Response:
    uphold = forms.choice(form, "decision", ("uphold", "dismiss")) == "uphold"
    cases.decide_appeal(
        platform.uow(),
        actor,
        appeal_id,
        uphold=uphold,
        note=forms.text(form, "note", max_length=500),
    )
    return done_redirect("/ops/appeals", "upheld" if uphold else "dismissed")


# --- rules and reports ---------------------------------------------------------------------------


@router.get("/rules", response_class=HTMLResponse)
def rules(request: Request, platform: PlatformDep, actor: Operator) -> Response:
    """The rule set in force (its version, rules and term counts) and the re-scans run so far."""
    ruleset = ENGINE.ruleset
    scans = governance_queries.audit_log(
        platform.uow(readonly=True), actor, PageRequest(30), subject_type="ruleset_scan"
    )
    return render(
        request,
        "ops/rules.html",
        actor=actor,
        ruleset=ruleset,
        terms=len(ruleset.cjk_terms) + len(ruleset.en_phrases),
        scans=scans.items,
    )


@router.get("/report", response_class=HTMLResponse)
def report(
    request: Request,
    platform: PlatformDep,
    actor: Operator,
    period: Annotated[str, Query()] = "day",
    days: Annotated[int, Query()] = 30,
) -> Response:
    """Listings intercepted before going live, products taken down, violations found and appeals
    upheld, by period and reason."""
    chosen = period if period in REPORT_PERIODS else "day"
    today = platform.clock.now().astimezone(UTC).date()
    until = datetime.combine(today + timedelta(days=1), time(), tzinfo=UTC)
    since = until - timedelta(days=window_days(days))
    rows = reports.governance_report(platform.uow(readonly=True), actor, since, until, chosen)
    totals = {m: 0 for m in REPORT_METRICS}
    by_reason: dict[str, dict[str, int]] = {m: {} for m in REPORT_METRICS}
    for row in rows:
        totals[row.metric] = totals.get(row.metric, 0) + row.count
        reasons = by_reason.setdefault(row.metric, {})
        reasons[row.reason] = reasons.get(row.reason, 0) + row.count
    return render(
        request,
        "ops/report.html",
        actor=actor,
        rows=rows,
        totals=totals,
        reasons={
            m: bars(sorted(r.items(), key=lambda kv: (-kv[1], kv[0]))) for m, r in by_reason.items()
        },
        period=chosen,
        periods=REPORT_PERIODS,
        since=since,
        until=until,
        days=window_days(days),
        windows=WINDOWS,
    )

"""Governance: listing review queue and re-scan, cases, sanctions, appeals, notices, the audit
log, scores and the published figures. Operators decide; merchants see and appeal their own."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import Field

from xingqu.api.deps import CurrentActor, PageDep, PlatformDep
from xingqu.api.schemas import ERRORS, PageOf, Public, Strict
from xingqu.catalog import queries as catalog_queries
from xingqu.governance import cases, listing, queries, reports, risk, scores
from xingqu.governance.audit import verify_chain
from xingqu.governance.review import ENGINE
from xingqu.governance.rules import MAX_EVIDENCE_ITEMS, MAX_NOTE, MAX_STATEMENT
from xingqu.governance.screening import ListingDraft, screen
from xingqu.shared.access import Role
from xingqu.shared.paging import Page

router = APIRouter(prefix="/governance", tags=["governance"], responses=ERRORS)  # type: ignore[arg-type]


class ReviewPublic(Public):
    id: int
    product_id: int
    shop_id: int
    trigger: str
    decision: str
    codes: list[str]
    findings: list[dict[str, Any]]
    ruleset_version: str
    model_version: str | None
    queue_status: str | None
    decided_by: int | None
    decided_at: datetime | None
    decision_note: str | None
    decision_code: str | None
    created_at: datetime


class ListingDecision(Strict):
    approve: bool
    note: str = Field(min_length=1, max_length=MAX_NOTE)
    reason_code: str | None = Field(default=None, max_length=40)


class ScreenRequest(Strict):
    title: str = Field(min_length=1, max_length=120)
    title_en: str = Field(default="", max_length=120)
    description: str = Field(default="", max_length=10_000)
    category_code: str = Field(default="", max_length=64)
    prices_fen: list[int] = Field(default=[], max_length=50)


class ScreenResult(Public):
    decision: str
    codes: list[str]
    findings: list[dict[str, Any]]
    ruleset_version: str
    model_version: str | None


class RescanPublic(Public):
    scan_id: int
    ruleset_version: str
    scanned: int
    taken_down: int
    queued: int


class CasePublic(Public):
    id: int
    shop_id: int
    kind: str
    reason_code: str
    severity: str
    status: str
    summary: str
    evidence: dict[str, Any]
    product_ids: list[int]
    opened_by: int
    opened_at: datetime
    decided_by: int | None
    decided_at: datetime | None
    decision_note: str | None


class CaseCreate(Strict):
    shop_id: int
    reason_code: str = Field(min_length=3, max_length=40)
    severity: str = Field(pattern=r"^(low|medium|high|critical)$")
    summary: str = Field(min_length=1, max_length=MAX_NOTE)
    evidence: dict[str, Any] = Field(default_factory=dict)
    product_ids: list[int] = Field(default=[], max_length=200)


class CaseDecision(Strict):
    confirm: bool
    note: str = Field(min_length=1, max_length=MAX_NOTE)


class SanctionPublic(Public):
    id: int
    case_id: int
    shop_id: int
    level: str
    points: int
    status: str
    starts_at: datetime
    ends_at: datetime | None
    appeal_until: datetime
    changes: list[dict[str, Any]]
    restored: list[dict[str, Any]]
    lifted_at: datetime | None
    lift_reason: str | None


class CaseDecided(Public):
    case: CasePublic
    sanction: SanctionPublic | None


class AppealCreate(Strict):
    subject: str = Field(pattern=r"^(sanction|listing)$")
    subject_id: int
    statement: str = Field(min_length=1, max_length=MAX_STATEMENT)
    evidence: list[str] = Field(default=[], max_length=MAX_EVIDENCE_ITEMS)


class AppealPublic(Public):
    id: int
    subject: str
    subject_id: int
    shop_id: int
    filed_by: int
    statement: str
    evidence: list[str]
    status: str
    filed_at: datetime
    decided_by: int | None
    decided_at: datetime | None
    decision_note: str | None


class AppealDecision(Strict):
    uphold: bool
    note: str = Field(min_length=1, max_length=MAX_NOTE)


class NoticePublic(Public):
    id: int
    shop_id: int
    kind: str
    subject_type: str
    subject_id: int
    message: str
    created_at: datetime


class AuditPublic(Public):
    id: int
    at: datetime
    actor_id: int
    actor_roles: str
    action: str
    subject_type: str
    subject_id: int
    shop_id: int | None
    reason: str
    evidence: dict[str, Any]
    prev_hash: str
    hash: str


class DetectorRun(Strict):
    since: datetime
    until: datetime
    detectors: list[str] = Field(default=list(risk.DETECTORS))


class ReportRowPublic(Public):
    metric: str
    period: str
    reason: str
    count: int


class ScorePublic(Public):
    subject_id: int
    score: float
    breakdown: dict[str, Any]
    computed_at: datetime | None


def _page(result: Page[Any], schema: type[Public]) -> PageOf[Any]:
    return PageOf[schema](  # type: ignore[valid-type]
        items=[schema.model_validate(x) for x in result.items],
        total=result.total,
        limit=result.limit,
        offset=result.offset,
    )


# --- listings -----------------------------------------------------------------------------------


@router.post("/screen")
def screen_listing(body: ScreenRequest, actor: CurrentActor) -> ScreenResult:
    """Check a draft listing against the current rules without listing it (merchants, operators)."""
    actor.require(Role.MERCHANT, Role.OPERATOR)
    draft = ListingDraft(
        title=body.title,
        title_en=body.title_en,
        description=body.description,
        category_code=body.category_code,
        prices_fen=tuple(body.prices_fen),
    )
    result = screen(draft, ENGINE.ruleset, model=ENGINE.model)
    return ScreenResult(
        decision=str(result.decision),
        codes=result.codes,
        findings=[f.as_dict() for f in result.findings],
        ruleset_version=result.ruleset_version,
        model_version=result.model_version,
    )


@router.get("/review-queue")
def review_queue(actor: CurrentActor, platform: PlatformDep, page: PageDep) -> PageOf[ReviewPublic]:
    """Listing reviews waiting for an operator, oldest first."""
    return _page(queries.review_queue(platform.uow(readonly=True), actor, page), ReviewPublic)


@router.post("/reviews/{review_id}/decision")
def decide_listing(
    review_id: int, body: ListingDecision, actor: CurrentActor, platform: PlatformDep
) -> ReviewPublic:
    review = listing.decide_listing(
        platform.uow(),
        actor,
        review_id,
        approve=body.approve,
        note=body.note,
        reason_code=body.reason_code,
    )
    return ReviewPublic.model_validate(review)


@router.get("/products/{product_id}/reviews")
def product_reviews(
    product_id: int, actor: CurrentActor, platform: PlatformDep
) -> list[ReviewPublic]:
    return [
        ReviewPublic.model_validate(r)
        for r in queries.product_reviews(platform.uow(readonly=True), actor, product_id)
    ]


@router.post("/rescan")
def rescan(actor: CurrentActor, platform: PlatformDep) -> RescanPublic:
    """Re-scan the live catalogue under the current rule set (operators)."""
    return RescanPublic.model_validate(listing.rescan_catalogue(platform.uow, actor))


# --- cases, sanctions, appeals ------------------------------------------------------------------


@router.get("/cases")
def list_cases(
    actor: CurrentActor,
    platform: PlatformDep,
    page: PageDep,
    status_: Annotated[str | None, Query(alias="status")] = None,
    shop_id: Annotated[int | None, Query()] = None,
) -> PageOf[CasePublic]:
    result = queries.list_cases(
        platform.uow(readonly=True), actor, page, status=status_, shop_id=shop_id
    )
    return _page(result, CasePublic)


@router.get("/cases/{case_id}")
def get_case(case_id: int, actor: CurrentActor, platform: PlatformDep) -> CasePublic:
    return CasePublic.model_validate(queries.get_case(platform.uow(readonly=True), actor, case_id))


@router.post("/cases", status_code=status.HTTP_201_CREATED)
def open_case(body: CaseCreate, actor: CurrentActor, platform: PlatformDep) -> CasePublic:
    """Open a case by hand (operators)."""
    case = cases.open_case(
        platform.uow(), actor, cases.OpenCase(kind="manual", **body.model_dump())
    )
    return CasePublic.model_validate(case)


@router.post("/cases/{case_id}/decision")
def decide_case(
    case_id: int, body: CaseDecision, actor: CurrentActor, platform: PlatformDep
) -> CaseDecided:
    case, sanction = cases.decide_case(
        platform.uow(), actor, case_id, confirm=body.confirm, note=body.note
    )
    return CaseDecided(
        case=CasePublic.model_validate(case),
        sanction=SanctionPublic.model_validate(sanction) if sanction is not None else None,
    )


@router.post("/detectors/run")
def run_detectors(
    body: DetectorRun, actor: CurrentActor, platform: PlatformDep
) -> list[CasePublic]:
    """Run the shop-risk detectors over orders placed in [since, until) (operators)."""
    actor.require(Role.OPERATOR)
    opened = risk.run_detectors(
        platform.uow, body.since, body.until, actor=actor, detectors=body.detectors
    )
    return [CasePublic.model_validate(c) for c in opened]


@router.get("/sanctions")
def list_sanctions(
    actor: CurrentActor,
    platform: PlatformDep,
    page: PageDep,
    shop_id: Annotated[int | None, Query()] = None,
) -> PageOf[SanctionPublic]:
    result = queries.list_sanctions(platform.uow(readonly=True), actor, page, shop_id=shop_id)
    return _page(result, SanctionPublic)


@router.post("/appeals", status_code=status.HTTP_201_CREATED)
def file_appeal(body: AppealCreate, actor: CurrentActor, platform: PlatformDep) -> AppealPublic:
    """Appeal a sanction or a rejected listing of your shop within 7 days, with evidence."""
    appeal = cases.file_appeal(
        platform.uow(),
        actor,
        subject=body.subject,
        subject_id=body.subject_id,
        statement=body.statement,
        evidence=body.evidence,
    )
    return AppealPublic.model_validate(appeal)


@router.get("/appeals")
def list_appeals(
    actor: CurrentActor,
    platform: PlatformDep,
    page: PageDep,
    status_: Annotated[str | None, Query(alias="status")] = None,
) -> PageOf[AppealPublic]:
    result = queries.list_appeals(platform.uow(readonly=True), actor, page, status=status_)
    return _page(result, AppealPublic)


@router.post("/appeals/{appeal_id}/decision")
def decide_appeal(
    appeal_id: int, body: AppealDecision, actor: CurrentActor, platform: PlatformDep
) -> AppealPublic:
    appeal = cases.decide_appeal(
        platform.uow(), actor, appeal_id, uphold=body.uphold, note=body.note
    )
    return AppealPublic.model_validate(appeal)


# --- notices, audit, reports, scores ------------------------------------------------------------


@router.get("/notices")
def list_notices(actor: CurrentActor, platform: PlatformDep, page: PageDep) -> PageOf[NoticePublic]:
    return _page(queries.list_notices(platform.uow(readonly=True), actor, page), NoticePublic)


@router.get("/audit")
def audit_log(
    actor: CurrentActor,
    platform: PlatformDep,
    page: PageDep,
    subject_type: Annotated[str | None, Query()] = None,
    subject_id: Annotated[int | None, Query()] = None,
) -> PageOf[AuditPublic]:
    result = queries.audit_log(
        platform.uow(readonly=True), actor, page, subject_type=subject_type, subject_id=subject_id
    )
    return _page(result, AuditPublic)


@router.get("/audit/verify")
def verify_audit(actor: CurrentActor, platform: PlatformDep) -> dict[str, int | None]:
    """Check the audit log's hash chain (operators)."""
    actor.require(Role.OPERATOR)
    check = verify_chain(platform.uow(readonly=True))
    return {"entries": check.entries, "broken_at": check.broken_at}


@router.get("/reports")
def governance_report(
    actor: CurrentActor,
    platform: PlatformDep,
    since: datetime,
    until: datetime,
    period: Annotated[str, Query(pattern=r"^(day|week|month)$")] = "month",
) -> list[ReportRowPublic]:
    """Listings intercepted, products taken down, shop violations, appeals upheld — by reason
    and period (operators)."""
    rows = reports.governance_report(platform.uow(readonly=True), actor, since, until, period)
    return [ReportRowPublic.model_validate(r) for r in rows]


@router.get("/scores/merchants")
def merchant_scores(
    actor: CurrentActor,
    platform: PlatformDep,
    shop_ids: Annotated[list[int], Query(max_length=200)],
) -> list[ScorePublic]:
    with platform.uow(readonly=True) as uow:
        if not actor.is_operator:
            mine = {s.id for s in catalog_queries.shops_of_user(uow, actor.user_id)}
            shop_ids = [s for s in shop_ids if s in mine]
        views = queries.merchant_scores(uow, shop_ids)
    return [ScorePublic.model_validate(v) for v in views.values()]


@router.get("/scores/creators")
def creator_reputations(
    actor: CurrentActor,
    platform: PlatformDep,
    creator_ids: Annotated[list[int], Query(max_length=200)],
) -> list[ScorePublic]:
    with platform.uow(readonly=True) as uow:
        views = queries.creator_reputations(uow, creator_ids)
    return [ScorePublic.model_validate(v) for v in views.values()]


@router.post("/scores/recompute")
def recompute_scores(actor: CurrentActor, platform: PlatformDep) -> dict[str, int]:
    """Recompute every merchant and creator score from the platform's data (operators)."""
    run = scores.recompute_scores(platform.uow, actor)
    return {"shops": run.shops, "creators": run.creators}

"""Cases, sanctions and appeals (one transaction each).

Detectors (or operators) open cases with evidence; only operators decide them. Confirming a case
climbs the sanctions ladder by the shop's violation points and applies the step through the
state other contexts own: products taken down (catalog), the shop suspended or closed (catalog),
traffic limited (read by the feed through `queries.traffic_limited_shops`). Each sanction records
exactly what it changed, so that lifting it (an upheld appeal, or the end of a suspension)
restores that and nothing else. Every decision goes into the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from xingqu.catalog import queries as catalog_queries
from xingqu.catalog import services as catalog
from xingqu.catalog.rules import ProductStatus, ShopStatus
from xingqu.governance import audit, events
from xingqu.governance.errors import GovernanceError
from xingqu.governance.models import Appeal, Case, ListingReview, Sanction
from xingqu.governance.review import QueueStatus
from xingqu.governance.rules import (
    APPEAL_WINDOW,
    POINTS,
    POINTS_WINDOW,
    AppealStatus,
    AppealSubject,
    CaseStatus,
    SanctionLevel,
    SanctionStatus,
    check_appeal_window,
    plan_sanction,
    validate_note,
    validate_reason_code,
    validate_statement,
)
from xingqu.governance.screening import Decision
from xingqu.shared.access import SYSTEM, Actor, Role
from xingqu.shared.clock import as_utc
from xingqu.shared.errors import conflict, forbidden, invalid, not_found
from xingqu.store.uow import UnitOfWork

# --- opening cases ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenCase:
    """A case to open: which shop, what kind and reason, how severe, why, on which evidence."""

    shop_id: int
    kind: str
    reason_code: str
    severity: str
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)
    product_ids: list[int] = field(default_factory=list)
    dedupe_key: str | None = None  # a detector's shop and window: opens one case only


def open_case(uow: UnitOfWork, actor: Actor, cmd: OpenCase) -> Case:
    """Open a case (operators, or the platform's detectors as SYSTEM). The same `dedupe_key`
    opens one case only: a re-run returns the first."""
    actor.require(Role.OPERATOR)
    validate_reason_code(cmd.reason_code)
    if cmd.severity not in POINTS:
        raise invalid(GovernanceError.INVALID_REASON, f"unknown severity {cmd.severity!r}")
    validate_note(cmd.summary)
    try:
        with uow:
            case = open_case_in(uow, actor, cmd)
            uow.commit()
            return case
    except IntegrityError:
        with uow:
            existing = uow.session.scalar(select(Case).where(Case.dedupe_key == cmd.dedupe_key))
            if existing is None:
                raise
            return existing


def open_case_in(uow: UnitOfWork, actor: Actor, cmd: OpenCase) -> Case:
    """`open_case` inside the caller's transaction; returns the existing case for a known key."""
    uow.require_active()
    s = uow.session
    key = cmd.dedupe_key or f"manual:{cmd.shop_id}:{uow.clock.now().isoformat()}:{actor.user_id}"
    existing = s.scalar(select(Case).where(Case.dedupe_key == key))
    if existing is not None:
        return existing
    catalog.shop_owner_user_id(uow, cmd.shop_id)  # the shop exists
    summary = validate_note(cmd.summary)
    case = Case(
        shop_id=cmd.shop_id,
        kind=cmd.kind,
        reason_code=cmd.reason_code,
        severity=cmd.severity,
        status=CaseStatus.OPEN,
        summary=summary,
        evidence=cmd.evidence,
        product_ids=sorted(set(cmd.product_ids)),
        dedupe_key=key,
        opened_by=actor.user_id,
        opened_at=uow.clock.now(),
    )
    s.add(case)
    s.flush()
    audit.record(
        uow, actor, "case.opened", "case", case.id, shop_id=cmd.shop_id,
        reason=f"{cmd.reason_code}: {summary}", evidence=cmd.evidence,
    )  # fmt: skip
    audit.notify(
        uow, cmd.shop_id, "case_opened", "case", case.id,
        f"Case {case.id} was opened about your shop: {cmd.reason_code} — {summary}",
    )  # fmt: skip
    uow.emit(
        events.CaseOpened(
            case_id=case.id, shop_id=cmd.shop_id, kind=cmd.kind, reason_code=cmd.reason_code
        )
    )
    return case


# --- deciding cases -----------------------------------------------------------------------------


def decide_case(
    uow: UnitOfWork, actor: Actor, case_id: int, *, confirm: bool, note: str
) -> tuple[Case, Sanction | None]:
    """Only operators decide. Confirming applies the next step of the sanctions ladder."""
    actor.require(Role.OPERATOR)
    note = validate_note(note)
    with uow:
        case = uow.session.get(Case, case_id, with_for_update=True)
        if case is None:
            raise not_found(GovernanceError.CASE_NOT_FOUND, "case", case_id)
        if case.status != CaseStatus.OPEN:
            raise conflict(GovernanceError.CASE_NOT_OPEN, f"case {case_id} is {case.status}")
        now = uow.clock.now()
        case.status = CaseStatus.CONFIRMED if confirm else CaseStatus.DISMISSED
        case.decided_by, case.decided_at, case.decision_note = actor.user_id, now, note
        audit.record(
            uow, actor, "case.confirmed" if confirm else "case.dismissed", "case", case.id,
            shop_id=case.shop_id, reason=note,
            evidence={"reason_code": case.reason_code, "evidence": case.evidence},
        )  # fmt: skip
        sanction = _apply_sanction(uow, actor, case, now) if confirm else None
        if not confirm:
            audit.notify(
                uow, case.shop_id, "case_dismissed", "case", case.id,
                f"Case {case.id} was dismissed: {note}",
            )  # fmt: skip
        uow.emit(
            events.CaseDecided(
                case_id=case.id, shop_id=case.shop_id, confirmed=confirm, operator_id=actor.user_id
            )
        )
        uow.commit()
        return case, sanction


def points_held(uow: UnitOfWork, shop_id: int, now: datetime) -> int:
    """Violation points of the shop's sanctions over the last 365 days (revoked ones excluded)."""
    uow.require_active()
    total = uow.session.scalar(
        select(func.coalesce(func.sum(Sanction.points), 0)).where(
            Sanction.shop_id == shop_id,
            Sanction.status != SanctionStatus.REVOKED,
            Sanction.starts_at >= now - POINTS_WINDOW,
        )
    )
    return int(total or 0)


def _apply_sanction(uow: UnitOfWork, actor: Actor, case: Case, now: datetime) -> Sanction:
    plan = plan_sanction(
        case.severity,
        points_held(uow, case.shop_id, now),
        now,
        has_products=bool(case.product_ids),
    )
    reason = f"sanction:{plan.level}:case:{case.id}"
    changes: list[dict[str, Any]] = []
    if plan.level == SanctionLevel.PRODUCT_BAN:
        for product_id in case.product_ids:
            old = catalog.take_down(uow, product_id, reason)
            if old != ProductStatus.REJECTED:
                changes.append({"kind": "product", "id": product_id, "from": old, "to": "rejected"})
    elif plan.level in (SanctionLevel.SELLING_SUSPENSION, SanctionLevel.SHOP_CLOSURE):
        target = (
            ShopStatus.SUSPENDED
            if plan.level == SanctionLevel.SELLING_SUSPENSION
            else ShopStatus.CLOSED
        )
        old_shop = catalog.set_shop_status(uow, case.shop_id, target, reason)
        if old_shop != target:
            changes.append({"kind": "shop", "id": case.shop_id, "from": old_shop, "to": target})
    elif plan.level == SanctionLevel.TRAFFIC_LIMIT:
        changes.append({"kind": "traffic", "id": case.shop_id, "from": "normal", "to": "limited"})
    sanction = Sanction(
        case_id=case.id,
        shop_id=case.shop_id,
        level=plan.level,
        points=plan.points,
        status=(
            SanctionStatus.EXPIRED if plan.level == SanctionLevel.WARNING else SanctionStatus.ACTIVE
        ),
        starts_at=plan.starts_at,
        ends_at=plan.ends_at,
        appeal_until=plan.appeal_until,
        changes=changes,
        restored=[],
    )
    uow.session.add(sanction)
    uow.session.flush()
    for change in changes:
        if change["kind"] == "product":
            uow.emit(
                events.ProductTakenDown(
                    product_id=change["id"],
                    shop_id=case.shop_id,
                    codes=[case.reason_code],
                    source="sanction",
                )
            )
    audit.record(
        uow, actor, f"sanction.{plan.level}", "sanction", sanction.id, shop_id=case.shop_id,
        reason=f"case {case.id} ({case.reason_code}), {plan.points} points",
        evidence={"case_id": case.id, "changes": changes, "ends_at": _iso(plan.ends_at)},
    )  # fmt: skip
    until = f" until {plan.ends_at.isoformat()}" if plan.ends_at else ""
    audit.notify(
        uow, case.shop_id, "sanction_applied", "sanction", sanction.id,
        f"Case {case.id} ({case.reason_code}) was confirmed: {plan.level}{until}, "
        f"{plan.points} violation points. You may appeal until {plan.appeal_until.isoformat()}.",
    )  # fmt: skip
    uow.emit(
        events.SanctionApplied(
            sanction_id=sanction.id,
            shop_id=case.shop_id,
            case_id=case.id,
            level=str(plan.level),
            points=plan.points,
        )
    )
    return sanction


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


# --- lifting sanctions ----------------------------------------------------------------------------


def _lift(
    uow: UnitOfWork, actor: Actor, sanction: Sanction, status: SanctionStatus, why: str
) -> None:
    """End a sanction and restore exactly what it changed, where it is still as it left it."""
    now = uow.clock.now()
    restored: list[dict[str, Any]] = []
    reason = f"lifted:{why}:sanction:{sanction.id}"
    for change in sanction.changes:
        if change["kind"] == "product":
            done = catalog.restore_product(
                uow,
                change["id"],
                ProductStatus(change["to"]),
                ProductStatus(change["from"]),
                reason,
            )
        elif change["kind"] == "shop":
            done = _restore_shop(uow, change, reason)
        else:
            done = True  # traffic: the feed stops limiting once the sanction is not active
        restored.append({**change, "restored": done})
    sanction.status = status
    sanction.lifted_at = now
    sanction.lift_reason = why
    sanction.restored = restored
    audit.record(
        uow, actor, f"sanction.{status}", "sanction", sanction.id, shop_id=sanction.shop_id,
        reason=why, evidence={"restored": restored},
    )  # fmt: skip
    audit.notify(
        uow, sanction.shop_id, "sanction_lifted", "sanction", sanction.id,
        f"Sanction {sanction.id} ({sanction.level}) was lifted ({why}).",
    )  # fmt: skip
    uow.emit(events.SanctionLifted(sanction_id=sanction.id, shop_id=sanction.shop_id, reason=why))


def _restore_shop(uow: UnitOfWork, change: dict[str, Any], reason: str) -> bool:
    shop_id = change["id"]
    current = catalog_queries.shop_status(uow, shop_id)
    if current != change["to"]:
        return False
    # Another active sanction that also took the shop off sale keeps it off.
    other = uow.session.scalar(
        select(Sanction.id).where(
            Sanction.shop_id == shop_id,
            Sanction.status == SanctionStatus.ACTIVE,
            Sanction.level.in_([SanctionLevel.SELLING_SUSPENSION, SanctionLevel.SHOP_CLOSURE]),
        )
    )
    if other is not None:
        return False
    catalog.set_shop_status(uow, shop_id, ShopStatus(change["from"]), reason)
    return True


def expire_sanctions(uow: UnitOfWork, actor: Actor = SYSTEM) -> list[int]:
    """End the sanctions whose time is up (a timer: the worker or `xingqu governance expire`)."""
    actor.require(Role.OPERATOR)
    with uow:
        now = uow.clock.now()
        due = list(
            uow.session.scalars(
                select(Sanction)
                .where(
                    Sanction.status == SanctionStatus.ACTIVE,
                    Sanction.ends_at.is_not(None),
                    Sanction.ends_at <= now,
                )
                .order_by(Sanction.id)
            )
        )
        for sanction in due:
            # Marked first, so that restoring the shop sees no other active suspension.
            sanction.status = SanctionStatus.EXPIRED
            uow.session.flush()
            _lift(uow, actor, sanction, SanctionStatus.EXPIRED, "expired")
        uow.commit()
        return [s.id for s in due]


# --- appeals --------------------------------------------------------------------------------------


def file_appeal(
    uow: UnitOfWork,
    actor: Actor,
    *,
    subject: str,
    subject_id: int,
    statement: str,
    evidence: list[str],
) -> Appeal:
    """The shop's merchant appeals a sanction, or a listing decision (a rejection or take-down),
    within 7 days, with a statement and evidence (links, tracking numbers, document ids)."""
    actor.require(Role.MERCHANT)
    try:
        kind = AppealSubject(subject)
    except ValueError:
        raise invalid(
            GovernanceError.INVALID_FILTER, f"appeal a 'sanction' or a 'listing', not {subject!r}"
        ) from None
    statement, evidence = validate_statement(statement, evidence)
    with uow:
        s = uow.session
        now = uow.clock.now()
        if kind == AppealSubject.SANCTION:
            sanction = s.get(Sanction, subject_id)
            if sanction is None:
                raise not_found(GovernanceError.SANCTION_NOT_FOUND, "sanction", subject_id)
            shop_id = sanction.shop_id
            _require_owner(uow, actor, shop_id)
            if sanction.status == SanctionStatus.REVOKED:
                raise conflict(GovernanceError.SANCTION_NOT_ACTIVE, "the sanction was revoked")
            check_appeal_window(as_utc(sanction.appeal_until), now)
        else:
            review = s.get(ListingReview, subject_id)
            if review is None:
                raise not_found(GovernanceError.REVIEW_NOT_FOUND, "listing review", subject_id)
            shop_id = review.shop_id
            _require_owner(uow, actor, shop_id)
            if not _appealable(review):
                raise conflict(
                    GovernanceError.REVIEW_NOT_PENDING,
                    "only a rejected listing can be appealed",
                )
            decided = as_utc(review.decided_at or review.created_at)
            check_appeal_window(decided + APPEAL_WINDOW, now)
        pending = s.scalar(
            select(Appeal.id).where(
                Appeal.subject == kind,
                Appeal.subject_id == subject_id,
                Appeal.status == AppealStatus.PENDING,
            )
        )
        if pending is not None:
            raise conflict(
                GovernanceError.APPEAL_EXISTS, f"appeal {pending} is already waiting", id=pending
            )
        appeal = Appeal(
            subject=kind,
            subject_id=subject_id,
            shop_id=shop_id,
            filed_by=actor.user_id,
            statement=statement,
            evidence=evidence,
            status=AppealStatus.PENDING,
            filed_at=now,
        )
        s.add(appeal)
        s.flush()
        audit.record(
            uow, actor, "appeal.filed", "appeal", appeal.id, shop_id=shop_id,
            reason=statement[:500], evidence={"subject": kind, "subject_id": subject_id,
                                              "evidence": evidence},
        )  # fmt: skip
        uow.emit(
            events.AppealFiled(
                appeal_id=appeal.id, shop_id=shop_id, subject=kind, subject_id=subject_id
            )
        )
        uow.commit()
        return appeal


def decide_appeal(
    uow: UnitOfWork, actor: Actor, appeal_id: int, *, uphold: bool, note: str
) -> Appeal:
    """Only operators decide. Upholding reverses the decision: a sanction is revoked (its points
    no longer count, what it removed is restored); a rejected listing goes back on sale."""
    actor.require(Role.OPERATOR)
    note = validate_note(note)
    with uow:
        s = uow.session
        appeal = s.get(Appeal, appeal_id, with_for_update=True)
        if appeal is None:
            raise not_found(GovernanceError.APPEAL_NOT_FOUND, "appeal", appeal_id)
        if appeal.status != AppealStatus.PENDING:
            raise conflict(
                GovernanceError.APPEAL_NOT_PENDING, f"appeal {appeal_id} is {appeal.status}"
            )
        now = uow.clock.now()
        appeal.status = AppealStatus.UPHELD if uphold else AppealStatus.REJECTED
        appeal.decided_by, appeal.decided_at, appeal.decision_note = actor.user_id, now, note
        audit.record(
            uow, actor, "appeal.upheld" if uphold else "appeal.rejected", "appeal", appeal.id,
            shop_id=appeal.shop_id, reason=note,
            evidence={"subject": appeal.subject, "subject_id": appeal.subject_id},
        )  # fmt: skip
        if uphold and appeal.subject == AppealSubject.SANCTION:
            sanction = s.get(Sanction, appeal.subject_id)
            assert sanction is not None
            if sanction.status == SanctionStatus.ACTIVE:
                sanction.status = SanctionStatus.REVOKED
                uow.session.flush()
                _lift(uow, actor, sanction, SanctionStatus.REVOKED, "appeal_upheld")
            else:  # expired or a warning: nothing left to restore, the points go
                sanction.status = SanctionStatus.REVOKED
                sanction.lift_reason = "appeal_upheld"
        elif uphold:
            review = s.get(ListingReview, appeal.subject_id)
            assert review is not None
            catalog.restore_product(
                uow,
                review.product_id,
                ProductStatus.REJECTED,
                ProductStatus.LIVE,
                f"appeal_upheld:{appeal.id}",
            )
            review.queue_status = QueueStatus.APPROVED
            review.decided_by, review.decided_at = actor.user_id, now
            review.decision_note = f"appeal {appeal.id} upheld: {note}"
        verdict = "upheld" if uphold else "rejected"
        audit.notify(
            uow, appeal.shop_id, "appeal_decided", "appeal", appeal.id,
            f"Your appeal {appeal.id} was {verdict}: {note}",
        )  # fmt: skip
        uow.emit(
            events.AppealDecided(
                appeal_id=appeal.id,
                shop_id=appeal.shop_id,
                upheld=uphold,
                operator_id=actor.user_id,
            )
        )
        uow.commit()
        return appeal


def _appealable(review: ListingReview) -> bool:
    return review.queue_status == QueueStatus.REJECTED or (
        review.decision == Decision.REJECT and review.queue_status is None
    )


def _require_owner(uow: UnitOfWork, actor: Actor, shop_id: int) -> None:
    if not catalog.owns_shop(uow, actor, shop_id):
        raise forbidden("this shop belongs to another merchant")

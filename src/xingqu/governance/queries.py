"""Governance read side. Operators see everything; a merchant sees only its own shops' cases,
sanctions, appeals, listing reviews and notices (someone else's is `shared.forbidden`; a missing
one is `governance.*_not_found`)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from xingqu.catalog import queries as catalog_queries
from xingqu.catalog import services as catalog
from xingqu.governance.errors import GovernanceError
from xingqu.governance.models import (
    Appeal,
    AuditEntry,
    Case,
    CreatorReputation,
    ListingReview,
    MerchantNotice,
    MerchantScore,
    MerchantScoreDay,
    Sanction,
)
from xingqu.governance.rules import CaseStatus, SanctionLevel, SanctionStatus
from xingqu.governance.scoring import CREATOR_DEFAULT, GROWTH_SCORE
from xingqu.shared.access import Actor, Role
from xingqu.shared.clock import as_utc
from xingqu.shared.errors import forbidden, invalid, not_found
from xingqu.shared.paging import Page, PageRequest
from xingqu.store.paging import fetch_page
from xingqu.store.prepared import any_of, columns
from xingqu.store.uow import UnitOfWork


def _visible_shops(uow: UnitOfWork, actor: Actor) -> list[int] | None:
    """None for operators (every shop); the actor's own shops for a merchant."""
    if actor.is_operator:
        return None
    actor.require(Role.MERCHANT)
    return [shop.id for shop in catalog_queries.shops_of_user(uow, actor.user_id)]


def _check_shop(uow: UnitOfWork, actor: Actor, shop_id: int) -> None:
    if not actor.is_operator and not catalog.owns_shop(uow, actor, shop_id):
        raise forbidden("this belongs to another merchant's shop")


def _listed(
    uow: UnitOfWork,
    actor: Actor,
    model: Any,
    page: PageRequest,
    where: list[Any],
    *,
    shop_id: int | None = None,
) -> Page[Any]:
    shops = _visible_shops(uow, actor)
    with uow:
        if shop_id is not None:
            where.append(model.shop_id == shop_id)
        if shops is not None:
            where.append(model.shop_id.in_(shops))
        return fetch_page(uow.session, model, where, [model.id.desc()], page)


def list_cases(
    uow: UnitOfWork,
    actor: Actor,
    page: PageRequest,
    *,
    status: str | None = None,
    shop_id: int | None = None,
) -> Page[Case]:
    where: list[Any] = []
    if status is not None:
        try:
            where.append(Case.status == CaseStatus(status))
        except ValueError:
            raise invalid(
                GovernanceError.INVALID_FILTER,
                f"unknown case status {status!r}; use one of {', '.join(CaseStatus)}",
            ) from None
    return _listed(uow, actor, Case, page, where, shop_id=shop_id)


def get_case(uow: UnitOfWork, actor: Actor, case_id: int) -> Case:
    with uow:
        case = uow.session.get(Case, case_id)
        if case is None:
            raise not_found(GovernanceError.CASE_NOT_FOUND, "case", case_id)
        _check_shop(uow, actor, case.shop_id)
        return case


def list_sanctions(
    uow: UnitOfWork, actor: Actor, page: PageRequest, *, shop_id: int | None = None
) -> Page[Sanction]:
    return _listed(uow, actor, Sanction, page, [], shop_id=shop_id)


def list_appeals(
    uow: UnitOfWork,
    actor: Actor,
    page: PageRequest,
    *,
    status: str | None = None,
    shop_id: int | None = None,
) -> Page[Appeal]:
    where: list[Any] = [] if status is None else [Appeal.status == status]
    return _listed(uow, actor, Appeal, page, where, shop_id=shop_id)


def list_notices(uow: UnitOfWork, actor: Actor, page: PageRequest) -> Page[MerchantNotice]:
    return _listed(uow, actor, MerchantNotice, page, [])


def product_reviews(uow: UnitOfWork, actor: Actor, product_id: int) -> list[ListingReview]:
    """Every review of a product, newest first: for its merchant and operators."""
    with uow:
        rows = list(
            uow.session.scalars(
                select(ListingReview)
                .where(ListingReview.product_id == product_id)
                .order_by(ListingReview.id.desc())
            )
        )
        if not rows:
            raise not_found(
                GovernanceError.REVIEW_NOT_FOUND, "listing review of product", product_id
            )
        _check_shop(uow, actor, rows[0].shop_id)
        return rows


def review_queue(uow: UnitOfWork, actor: Actor, page: PageRequest) -> Page[ListingReview]:
    """Listing reviews waiting for an operator, oldest first (operators only)."""
    actor.require(Role.OPERATOR)
    with uow:
        return fetch_page(
            uow.session,
            ListingReview,
            [ListingReview.queue_status == "pending"],
            [ListingReview.id],
            page,
        )


def audit_log(
    uow: UnitOfWork,
    actor: Actor,
    page: PageRequest,
    *,
    subject_type: str | None = None,
    subject_id: int | None = None,
    shop_id: int | None = None,
) -> Page[AuditEntry]:
    """The audit log, newest first: operators see all of it, a merchant its shops' entries."""
    where: list[Any] = []
    if subject_type is not None:
        where.append(AuditEntry.subject_type == subject_type)
    if subject_id is not None:
        where.append(AuditEntry.subject_id == subject_id)
    return _listed(uow, actor, AuditEntry, page, where, shop_id=shop_id)


@dataclass(frozen=True, slots=True)
class ScoreDay:
    day: date  # UTC
    score: float
    stage: str  # growth, formal


def merchant_score_history(
    uow: UnitOfWork, actor: Actor, shop_ids: Collection[int], *, first: date, last: date
) -> dict[int, list[ScoreDay]]:
    """Each shop's experience score on the days from `first` to `last` (inclusive) that a score
    run computed it, oldest first (an empty list for a shop never scored then): for the shops'
    merchant and operators (another merchant's shop is `shared.forbidden`)."""
    if first > last:
        raise invalid(GovernanceError.INVALID_FILTER, "the first day comes before the last")
    ids = sorted(set(shop_ids))
    with uow:
        for shop_id in ids:
            _check_shop(uow, actor, shop_id)
        rows = uow.session.scalars(
            select(MerchantScoreDay)
            .where(
                MerchantScoreDay.shop_id.in_(ids),
                MerchantScoreDay.day >= first,
                MerchantScoreDay.day <= last,
            )
            .order_by(MerchantScoreDay.shop_id, MerchantScoreDay.day)
        )
        out: dict[int, list[ScoreDay]] = {shop_id: [] for shop_id in ids}
        for row in rows:
            out[row.shop_id].append(ScoreDay(row.day, row.score, row.stage))
        return out


# --- read by other contexts (the feed, the affiliate programme) ----------------------------------


def traffic_limited_shops(uow: UnitOfWork) -> set[int]:
    """Shops under an active traffic-limit sanction now (runs inside the caller's transaction):
    the feed lowers or drops their items."""
    uow.require_active()
    now = uow.clock.now()
    rows = uow.session.execute(_TRAFFIC_LIMITS)
    return {shop for shop, ends in rows if ends is None or as_utc(ends) > now}


# the feed reads these three on every request: statements built once (`store.prepared`)
_sanction = columns(Sanction)
_TRAFFIC_LIMITS = select(_sanction.shop_id, _sanction.ends_at).where(
    _sanction.level == SanctionLevel.TRAFFIC_LIMIT, _sanction.status == SanctionStatus.ACTIVE
)


@dataclass(frozen=True, slots=True)
class ScoreView:
    subject_id: int  # shop id or creator id
    score: float
    breakdown: dict[str, Any]
    computed_at: datetime | None  # None: never computed, the default applies


def merchant_scores(uow: UnitOfWork, shop_ids: Collection[int]) -> dict[int, ScoreView]:
    """The latest experience score of each shop (a shop never scored: the growth-stage 70), with
    its breakdown (runs inside the caller's transaction; the feed and the affiliate gate read it)."""
    uow.require_active()
    ids = sorted(set(shop_ids))
    rows = {r[0]: r for r in uow.session.execute(_MERCHANT_SCORES, {"ids": ids})}
    out = {}
    for shop_id in ids:
        row = rows.get(shop_id)
        if row is None:
            out[shop_id] = ScoreView(shop_id, GROWTH_SCORE, {"stage": "growth"}, None)
        else:
            _, score, breakdown, at = row
            out[shop_id] = ScoreView(shop_id, score, dict(breakdown), as_utc(at))
    return out


_ms = columns(MerchantScore)
_MERCHANT_SCORES = select(_ms.shop_id, _ms.score, _ms.breakdown, _ms.computed_at).where(
    any_of(_ms.shop_id)
)


def creator_reputations(uow: UnitOfWork, creator_ids: Collection[int]) -> dict[int, ScoreView]:
    """The latest reputation of each creator (5-point, floor 3; never scored: 4.5), with its
    breakdown (runs inside the caller's transaction)."""
    uow.require_active()
    ids = sorted(set(creator_ids))
    rows = {r[0]: r for r in uow.session.execute(_REPUTATIONS, {"ids": ids})}
    out = {}
    for creator_id in ids:
        row = rows.get(creator_id)
        if row is None:
            out[creator_id] = ScoreView(creator_id, CREATOR_DEFAULT, {"no_data": True}, None)
        else:
            _, score, breakdown, at = row
            out[creator_id] = ScoreView(creator_id, score, dict(breakdown), as_utc(at))
    return out


_cr = columns(CreatorReputation)
_REPUTATIONS = select(_cr.creator_id, _cr.score, _cr.breakdown, _cr.computed_at).where(
    any_of(_cr.creator_id)
)

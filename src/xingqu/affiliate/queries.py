"""Affiliate read side: plans a creator may pick from, a shop's plans, a creator's selections
and commissions; and the commission totals the books' audit reconciles (participant call)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, or_, select

from xingqu.affiliate.errors import AffiliateError
from xingqu.affiliate.models import AffiliatePlan, Commission, CreatorSelection
from xingqu.affiliate.rules import CommissionStatus, PlanKind, PlanStatus
from xingqu.catalog import queries as catalog_queries
from xingqu.content import queries as content_queries
from xingqu.content.models import Creator
from xingqu.shared.access import Actor, Role
from xingqu.shared.errors import forbidden, invalid
from xingqu.shared.paging import Page, PageRequest
from xingqu.store.paging import fetch_page
from xingqu.store.uow import UnitOfWork


def plans_for_creator(
    uow: UnitOfWork, actor: Actor, page: PageRequest, *, product_id: int | None = None
) -> Page[AffiliatePlan]:
    """Active plans the creator may promote: every open plan and those naming them; best rate
    first."""
    creator = _creator_of(uow, actor)
    where: list[ColumnElement[bool]] = [
        AffiliatePlan.status == PlanStatus.ACTIVE,
        or_(AffiliatePlan.kind == PlanKind.OPEN, AffiliatePlan.creator_id == creator.id),
    ]
    if product_id is not None:
        where.append(AffiliatePlan.product_id == product_id)
    with uow:
        return fetch_page(
            uow.session,
            AffiliatePlan,
            where,
            [AffiliatePlan.rate_bp.desc(), AffiliatePlan.id.desc()],
            page,
        )


def plans_of_shops(
    uow: UnitOfWork, actor: Actor, page: PageRequest, *, active_only: bool = False
) -> Page[AffiliatePlan]:
    """The merchant's plans over all their shops, newest first."""
    actor.require(Role.MERCHANT)
    shop_ids = [shop.id for shop in catalog_queries.shops_of_user(uow, actor.user_id)]
    where: list[ColumnElement[bool]] = [AffiliatePlan.shop_id.in_(shop_ids)]
    if active_only:
        where.append(AffiliatePlan.status == PlanStatus.ACTIVE)
    with uow:
        return fetch_page(uow.session, AffiliatePlan, where, [AffiliatePlan.id.desc()], page)


def my_selections(uow: UnitOfWork, actor: Actor) -> list[CreatorSelection]:
    creator = _creator_of(uow, actor)
    with uow:
        return list(
            uow.session.scalars(
                select(CreatorSelection)
                .where(CreatorSelection.creator_id == creator.id, CreatorSelection.active)
                .order_by(CreatorSelection.selected_at, CreatorSelection.product_id)
            )
        )


def commissions(
    uow: UnitOfWork,
    actor: Actor,
    page: PageRequest,
    *,
    as_merchant: bool = False,
    status: str | None = None,
) -> Page[Commission]:
    """A creator's commissions, or with `as_merchant` those on the merchant's shops; newest
    first."""
    where: list[ColumnElement[bool]] = []
    if status is not None:
        try:
            where.append(Commission.status == CommissionStatus(status))
        except ValueError:
            raise invalid(
                AffiliateError.INVALID_FILTER,
                f"unknown commission status {status!r}; use one of {', '.join(CommissionStatus)}",
            ) from None
    if as_merchant:
        actor.require(Role.MERCHANT)
        shop_ids = [shop.id for shop in catalog_queries.shops_of_user(uow, actor.user_id)]
        where.append(Commission.shop_id.in_(shop_ids))
    else:
        where.append(Commission.creator_id == _creator_of(uow, actor).id)
    with uow:
        return fetch_page(uow.session, Commission, where, [Commission.id.desc()], page)


def commission_by_order(uow: UnitOfWork) -> dict[int, int]:
    """order → net commission it holds for creators now (participant call, the audit's)."""
    uow.require_active()
    rows = uow.session.execute(
        select(Commission.order_id, func.sum(Commission.net_fen))
        .where(Commission.net_fen != 0)
        .group_by(Commission.order_id)
    )
    return {order_id: int(total) for order_id, total in rows}


def _creator_of(uow: UnitOfWork, actor: Actor) -> Creator:
    actor.require(Role.CREATOR)
    creator = content_queries.creator_of_user(uow, actor.user_id)
    if creator is None:
        raise forbidden("register as a creator first")
    return creator


def plan_count(uow: UnitOfWork) -> int:
    """Plans ever published (participant call)."""
    uow.require_active()
    return int(uow.session.scalar(select(func.count()).select_from(AffiliatePlan)) or 0)


def products_with_active_plans(uow: UnitOfWork) -> set[int]:
    """Products with at least one active plan (participant call)."""
    uow.require_active()
    return set(
        uow.session.scalars(
            select(AffiliatePlan.product_id).where(AffiliatePlan.status == PlanStatus.ACTIVE)
        )
    )

"""The affiliate programme (精选联盟): merchants' commission plans, creators' selections, buyers'
touches from content, commissions and creator ratings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import Field

from xingqu.affiliate import queries, services
from xingqu.affiliate.rules import PlanKind
from xingqu.api.deps import CurrentActor, PageDep, PlatformDep
from xingqu.api.schemas import ERRORS, PageOf, Public, Strict
from xingqu.trade.terms import CreatorRating

router = APIRouter(prefix="/affiliate", tags=["affiliate"], responses=ERRORS)  # type: ignore[arg-type]


class PlanCreate(Strict):
    product_id: int
    rate_bp: int = Field(description="commission in basis points: open 500–5000, targeted ≤ 8000")
    kind: PlanKind = PlanKind.OPEN
    creator_id: int | None = Field(default=None, description="the creator a targeted plan names")


class PlanPublic(Public):
    id: int
    shop_id: int
    product_id: int
    kind: str
    creator_id: int | None
    rate_bp: int
    status: str
    created_at: datetime
    ended_at: datetime | None


class SelectionCreate(Strict):
    product_id: int


class SelectionPublic(Public):
    creator_id: int
    product_id: int
    active: bool
    selected_at: datetime


class TouchCreate(Strict):
    content_id: int
    product_id: int


class TouchPublic(Public):
    recorded: bool


class RatingUpdate(Strict):
    rating: CreatorRating


class RatingPublic(Public):
    creator_id: int
    rating: str
    set_at: datetime


class CommissionPublic(Public):
    id: int
    order_id: int
    order_line_id: int
    creator_id: int
    content_id: int
    product_id: int
    plan_id: int
    shop_id: int
    line_total_fen: int
    rate_bp: int
    fee_bp: int | None
    status: str
    base_fen: int
    gross_fen: int
    fee_fen: int
    net_fen: int
    touched_at: datetime
    settled_at: datetime | None


def _plans(result: object) -> PageOf[PlanPublic]:
    page = result  # a Page[AffiliatePlan]
    return PageOf[PlanPublic](
        items=[PlanPublic.model_validate(p) for p in page.items],  # type: ignore[attr-defined]
        total=page.total,  # type: ignore[attr-defined]
        limit=page.limit,  # type: ignore[attr-defined]
        offset=page.offset,  # type: ignore[attr-defined]
    )


@router.post("/plans", status_code=status.HTTP_201_CREATED)
def publish_plan(body: PlanCreate, actor: CurrentActor, platform: PlatformDep) -> PlanPublic:
    """The shop's merchant offers commission on a product (replacing the plan of the same scope)."""
    plan = services.publish_plan(
        platform.uow(),
        actor,
        services.PublishPlan(body.product_id, body.rate_bp, body.kind, body.creator_id),
        terms=platform.settings.trade,
    )
    return PlanPublic.model_validate(plan)


@router.post("/plans/{plan_id}/end")
def end_plan(plan_id: int, actor: CurrentActor, platform: PlatformDep) -> PlanPublic:
    return PlanPublic.model_validate(services.end_plan(platform.uow(), actor, plan_id))


@router.get("/plans")
def plans_for_me(
    actor: CurrentActor, platform: PlatformDep, page: PageDep, product_id: int | None = None
) -> PageOf[PlanPublic]:
    """For creators: the active plans they may promote, best rate first."""
    return _plans(
        queries.plans_for_creator(platform.uow(readonly=True), actor, page, product_id=product_id)
    )


@router.get("/shop-plans")
def plans_of_my_shops(
    actor: CurrentActor,
    platform: PlatformDep,
    page: PageDep,
    active_only: Annotated[bool, Query()] = False,
) -> PageOf[PlanPublic]:
    """For merchants: their shops' plans."""
    return _plans(
        queries.plans_of_shops(platform.uow(readonly=True), actor, page, active_only=active_only)
    )


@router.post("/selections", status_code=status.HTTP_201_CREATED)
def select_product(
    body: SelectionCreate, actor: CurrentActor, platform: PlatformDep
) -> SelectionPublic:
    """The creator adds a product with a plan for them to their showcase (its shop must pass
    the programme's experience-score gate)."""
    return SelectionPublic.model_validate(
        services.select_product(
            platform.uow(), actor, body.product_id, terms=platform.settings.trade
        )
    )


@router.delete("/selections/{product_id}", status_code=status.HTTP_204_NO_CONTENT)
def deselect_product(product_id: int, actor: CurrentActor, platform: PlatformDep) -> None:
    services.deselect_product(platform.uow(), actor, product_id)


@router.get("/selections")
def my_selections(actor: CurrentActor, platform: PlatformDep) -> list[SelectionPublic]:
    rows = queries.my_selections(platform.uow(readonly=True), actor)
    return [SelectionPublic.model_validate(r) for r in rows]


@router.post("/touches", status_code=status.HTTP_201_CREATED)
def record_touch(body: TouchCreate, actor: CurrentActor, platform: PlatformDep) -> TouchPublic:
    """The buyer opened a product's card in a content item (the last touch within the window
    earns the creator the order)."""
    touch = services.record_touch(platform.uow(), actor, body.content_id, body.product_id)
    return TouchPublic(recorded=touch is not None)


@router.get("/commissions")
def list_commissions(
    actor: CurrentActor,
    platform: PlatformDep,
    page: PageDep,
    as_merchant: Annotated[bool, Query(description="commission on your shops' orders")] = False,
    status_: Annotated[str | None, Query(alias="status")] = None,
) -> PageOf[CommissionPublic]:
    result = queries.commissions(
        platform.uow(readonly=True), actor, page, as_merchant=as_merchant, status=status_
    )
    return PageOf[CommissionPublic](
        items=[CommissionPublic.model_validate(c) for c in result.items],
        total=result.total,
        limit=result.limit,
        offset=result.offset,
    )


@router.put("/creators/{creator_id}/rating")
def set_rating(
    creator_id: int, body: RatingUpdate, actor: CurrentActor, platform: PlatformDep
) -> RatingPublic:
    """An operator rates a creator (A, B+, B, C, D): it sets the fee on their commission."""
    return RatingPublic.model_validate(
        services.set_rating(platform.uow(), actor, creator_id, body.rating)
    )

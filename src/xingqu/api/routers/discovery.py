"""The feed and the behaviour log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import Field

from xingqu.api.deps import CurrentActor, PageDep, PlatformDep
from xingqu.api.schemas import ERRORS, PageOf, Public, Strict
from xingqu.discovery import queries, services
from xingqu.discovery.feed import MAX_FEED_LIMIT, feed
from xingqu.discovery.models import BehaviourEvent
from xingqu.discovery.rules import MAX_REQUEST_ID
from xingqu.shared.paging import Page

router = APIRouter(tags=["discovery"], responses=ERRORS)  # type: ignore[arg-type]

MAX_BATCH_BODY = 1_000


class FeedProductPublic(Public):
    product_id: int
    title_en: str
    title_zh: str
    min_price_fen: int
    sku_id: int
    shop_id: int


class FeedItemPublic(Public):
    content_id: int
    kind: str
    title_en: str
    title_zh: str
    caption: str
    cover_url: str
    duration_s: int
    creator_id: int
    creator_name: str
    category_id: int
    products: list[FeedProductPublic]
    channel: str = Field(description="the retrieval channel that proposed the item")
    score: float = Field(description="the item's quality-GMV value in fen")
    reason: str = Field(description="why it holds its position: value, diversity, exploration …")


class FeedPublic(Public):
    request_id: str = Field(description="send it back with the behaviour this feed led to")
    model_version: str | None = Field(description="the model version that ranked the page")
    items: list[FeedItemPublic]


class BehaviourCreate(Strict):
    action: str = Field(
        description="impression, watch, like, share, product_click, complaint or review"
    )
    content_id: int | None = None
    product_id: int | None = None
    value: float = Field(default=0.0, description="seconds for watch, stars for review, else 0")
    request_id: str | None = Field(default=None, max_length=MAX_REQUEST_ID)


class BehaviourRecorded(Public):
    recorded: int


class BehaviourPublic(Public):
    id: int
    user_id: int
    action: str
    content_id: int | None
    product_id: int | None
    creator_id: int | None
    category_id: int | None
    value: float
    request_id: str | None
    occurred_at: datetime


def _page(result: Page[BehaviourEvent]) -> PageOf[BehaviourPublic]:
    return PageOf[BehaviourPublic](
        items=[BehaviourPublic.model_validate(b) for b in result.items],
        total=result.total,
        limit=result.limit,
        offset=result.offset,
    )


@router.get("/feed")
def get_feed(
    actor: CurrentActor,
    platform: PlatformDep,
    limit: Annotated[int, Query(ge=1, le=MAX_FEED_LIMIT)] = 20,
) -> FeedPublic:
    """Your next feed page. Every item shown is logged as an impression with the request id."""
    return FeedPublic.model_validate(
        feed(platform.uow(), actor, limit=limit, engine=platform.feed_engine)
    )


@router.post("/behaviour", status_code=status.HTTP_201_CREATED)
def record_behaviour(
    body: BehaviourCreate
    | Annotated[list[BehaviourCreate], Field(min_length=1, max_length=MAX_BATCH_BODY)],
    actor: CurrentActor,
    platform: PlatformDep,
) -> BehaviourRecorded:
    """Report what you did: one behaviour, or a list of them (all are recorded, or none)."""
    many = body if isinstance(body, list) else [body]
    cmds = [services.RecordBehaviour(**b.model_dump()) for b in many]
    return BehaviourRecorded(recorded=services.record_behaviours(platform.uow(), actor, cmds))


@router.get("/behaviour/mine")
def my_behaviour(
    actor: CurrentActor,
    platform: PlatformDep,
    page: PageDep,
    action: Annotated[str | None, Query()] = None,
) -> PageOf[BehaviourPublic]:
    """Your own behaviour log, newest first."""
    return _page(
        queries.behaviour_of_user(platform.uow(readonly=True), actor.user_id, page, action=action)
    )


@router.get("/behaviour")
def behaviour_log(
    actor: CurrentActor,
    platform: PlatformDep,
    page: PageDep,
    user_id: Annotated[int | None, Query()] = None,
    content_id: Annotated[int | None, Query()] = None,
    product_id: Annotated[int | None, Query()] = None,
    action: Annotated[str | None, Query()] = None,
) -> PageOf[BehaviourPublic]:
    """Anyone's behaviour, filtered (operators only)."""
    result = queries.behaviour_log(
        platform.uow(readonly=True),
        actor,
        page,
        user_id=user_id,
        content_id=content_id,
        product_id=product_id,
        action=action,
    )
    return _page(result)

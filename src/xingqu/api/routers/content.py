"""Creators, follows, content items (videos, livestreams, posts) and the products they carry."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import Field

from xingqu.api.deps import CurrentActor, PageDep, PlatformDep
from xingqu.api.schemas import ERRORS, PageOf, Public, Strict
from xingqu.content import queries, services
from xingqu.content.models import ContentItem, Creator
from xingqu.content.rules import (
    MAX_BIO,
    MAX_CAPTION,
    MAX_COVER_URL,
    MAX_CREATOR_NAME,
    MAX_DURATION_S,
    MAX_PRODUCTS,
    MAX_REMOVAL_REASON,
    MAX_TITLE,
)
from xingqu.shared.paging import Page

router = APIRouter(tags=["content"], responses=ERRORS)  # type: ignore[arg-type]


class CreatorCreate(Strict):
    name: str = Field(min_length=1, max_length=MAX_CREATOR_NAME)
    bio: str = Field(default="", max_length=MAX_BIO)


class CreatorPublic(Public):
    id: int
    user_id: int
    name: str
    bio: str
    created_at: datetime


class CreatorProfilePublic(CreatorPublic):
    follower_count: int


class ContentCreate(Strict):
    kind: str = Field(description="video, live or post")
    title_en: str = Field(default="", max_length=MAX_TITLE)
    title_zh: str = Field(default="", max_length=MAX_TITLE)
    category_id: int = Field(description="the leaf category the content is about")
    caption: str = Field(default="", max_length=MAX_CAPTION)
    cover_url: str = Field(default="", max_length=MAX_COVER_URL)
    duration_s: int = Field(
        default=0, ge=0, le=MAX_DURATION_S, description="0 for a post; planned length for a live"
    )
    product_ids: list[int] = Field(default=[], max_length=MAX_PRODUCTS)


class CreatorBrief(Public):
    id: int
    name: str


class ContentPublic(Public):
    id: int
    kind: str
    title_en: str
    title_zh: str
    caption: str
    cover_url: str
    duration_s: int
    category_id: int
    status: str
    published_at: datetime
    creator_id: int
    product_ids: list[int]


class ContentDetailPublic(ContentPublic):
    creator: CreatorBrief


class MountRequest(Strict):
    product_id: int


class RemoveRequest(Strict):
    reason: str = Field(min_length=1, max_length=MAX_REMOVAL_REASON)


def _profile(profile: queries.CreatorProfile) -> CreatorProfilePublic:
    return CreatorProfilePublic(
        **CreatorPublic.model_validate(profile.creator).model_dump(),
        follower_count=profile.follower_count,
    )


def _detail(detail: queries.ContentDetail) -> ContentDetailPublic:
    return ContentDetailPublic(
        **ContentPublic.model_validate(detail.item).model_dump(),
        creator=CreatorBrief.model_validate(detail.creator),
    )


def _page(result: Page[ContentItem]) -> PageOf[ContentPublic]:
    return PageOf[ContentPublic](
        items=[ContentPublic.model_validate(c) for c in result.items],
        total=result.total,
        limit=result.limit,
        offset=result.offset,
    )


@router.post("/creators", status_code=status.HTTP_201_CREATED)
def become_creator(
    body: CreatorCreate, actor: CurrentActor, platform: PlatformDep
) -> CreatorPublic:
    """Open your creator profile (needs the creator role; one per user)."""
    creator: Creator = services.register_creator(
        platform.uow(), actor, services.RegisterCreator(name=body.name, bio=body.bio)
    )
    return CreatorPublic.model_validate(creator)


@router.get("/creators/following")
def creators_i_follow(
    actor: CurrentActor, platform: PlatformDep, page: PageDep
) -> PageOf[CreatorPublic]:
    """The creators you follow, most recently followed first."""
    result = queries.followed_creators(platform.uow(readonly=True), actor.user_id, page)
    return PageOf[CreatorPublic](
        items=[CreatorPublic.model_validate(c) for c in result.items],
        total=result.total,
        limit=result.limit,
        offset=result.offset,
    )


@router.get("/creators/{creator_id}")
def get_creator(creator_id: int, platform: PlatformDep) -> CreatorProfilePublic:
    return _profile(queries.get_creator(platform.uow(readonly=True), creator_id))


@router.post("/creators/{creator_id}/follow", status_code=status.HTTP_204_NO_CONTENT)
def follow(creator_id: int, actor: CurrentActor, platform: PlatformDep) -> None:
    """Follow a creator (following twice is fine)."""
    services.follow_creator(platform.uow(), actor, creator_id)


@router.delete("/creators/{creator_id}/follow", status_code=status.HTTP_204_NO_CONTENT)
def unfollow(creator_id: int, actor: CurrentActor, platform: PlatformDep) -> None:
    services.unfollow_creator(platform.uow(), actor, creator_id)


@router.get("/creators/{creator_id}/content")
def creator_content(creator_id: int, platform: PlatformDep, page: PageDep) -> PageOf[ContentPublic]:
    """A creator's published content, newest first."""
    return _page(queries.list_content_by_creator(platform.uow(readonly=True), creator_id, page))


@router.post("/content", status_code=status.HTTP_201_CREATED)
def publish(body: ContentCreate, actor: CurrentActor, platform: PlatformDep) -> ContentDetailPublic:
    """Publish a video, livestream or post from your creator profile, with products on sale."""
    item = services.publish_content(
        platform.uow(), actor, services.PublishContent(**body.model_dump())
    )
    return _detail(queries.get_content(platform.uow(readonly=True), item.id))


@router.get("/content/{content_id}")
def get_content(content_id: int, platform: PlatformDep) -> ContentDetailPublic:
    return _detail(queries.get_content(platform.uow(readonly=True), content_id))


@router.post("/content/{content_id}/products")
def mount_product(
    content_id: int, body: MountRequest, actor: CurrentActor, platform: PlatformDep
) -> ContentDetailPublic:
    """Mount a product that is on sale (at most 20 per item; mounting twice is fine)."""
    services.mount_product(platform.uow(), actor, content_id, body.product_id)
    return _detail(queries.get_content(platform.uow(readonly=True), content_id))


@router.delete(
    "/content/{content_id}/products/{product_id}", status_code=status.HTTP_204_NO_CONTENT
)
def unmount_product(
    content_id: int, product_id: int, actor: CurrentActor, platform: PlatformDep
) -> None:
    services.unmount_product(platform.uow(), actor, content_id, product_id)


@router.post("/content/{content_id}/remove")
def remove_content(
    content_id: int, body: RemoveRequest, actor: CurrentActor, platform: PlatformDep
) -> ContentDetailPublic:
    """Take content down (its creator, or an operator)."""
    services.remove_content(platform.uow(), actor, content_id, body.reason)
    return _detail(queries.get_content(platform.uow(readonly=True), content_id))

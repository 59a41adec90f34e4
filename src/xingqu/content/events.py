"""What happened in content."""

from __future__ import annotations

from dataclasses import dataclass

from xingqu.shared.events import Event, register


@register
@dataclass(frozen=True, kw_only=True)
class CreatorRegistered(Event):
    name = "content.creator_registered"
    aggregate = "creator"
    creator_id: int
    user_id: int


@register
@dataclass(frozen=True, kw_only=True)
class ContentPublished(Event):
    name = "content.content_published"
    aggregate = "content"
    content_id: int
    creator_id: int
    kind: str
    category_id: int
    product_ids: list[int]


@register
@dataclass(frozen=True, kw_only=True)
class ProductMounted(Event):
    name = "content.product_mounted"
    aggregate = "content"
    content_id: int
    product_id: int
    position: int


@register
@dataclass(frozen=True, kw_only=True)
class ProductUnmounted(Event):
    name = "content.product_unmounted"
    aggregate = "content"
    content_id: int
    product_id: int


@register
@dataclass(frozen=True, kw_only=True)
class ContentRemoved(Event):
    name = "content.content_removed"
    aggregate = "content"
    content_id: int
    creator_id: int
    reason: str
    removed_by: int


@register
@dataclass(frozen=True, kw_only=True)
class CreatorFollowed(Event):
    name = "content.creator_followed"
    aggregate = "creator"
    creator_id: int
    user_id: int


@register
@dataclass(frozen=True, kw_only=True)
class CreatorUnfollowed(Event):
    name = "content.creator_unfollowed"
    aggregate = "creator"
    creator_id: int
    user_id: int

"""Content use cases: creators publish content, mount products on it; users follow creators."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from xingqu.catalog import services as catalog
from xingqu.content import events
from xingqu.content.errors import ContentError
from xingqu.content.models import ContentItem, ContentProduct, Creator, Follow
from xingqu.content.rules import (
    ContentStatus,
    check_product_room,
    validate_content,
    validate_creator,
    validate_removal_reason,
)
from xingqu.shared.access import Actor, Role
from xingqu.shared.errors import conflict, forbidden, invalid, not_found
from xingqu.store.uow import UnitOfWork

# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegisterCreator:
    name: str
    bio: str = ""


@dataclass(frozen=True, slots=True)
class PublishContent:
    kind: str
    title_en: str
    title_zh: str
    category_id: int
    caption: str = ""
    cover_url: str = ""
    duration_s: int = 0
    product_ids: list[int] = field(default_factory=list)


# --- creators ---------------------------------------------------------------------------------


def register_creator(uow: UnitOfWork, actor: Actor, cmd: RegisterCreator) -> Creator:
    """A user with the creator role opens their (one) creator profile."""
    actor.require(Role.CREATOR)
    validate_creator(cmd.name, cmd.bio)
    with uow:
        s = uow.session
        if s.scalar(select(Creator.id).where(Creator.user_id == actor.user_id)) is not None:
            raise conflict(ContentError.CREATOR_EXISTS, "you already have a creator profile")
        creator = Creator(
            user_id=actor.user_id,
            name=cmd.name.strip(),
            bio=cmd.bio.strip(),
            created_at=uow.clock.now(),
        )
        s.add(creator)
        s.flush()
        uow.emit(events.CreatorRegistered(creator_id=creator.id, user_id=actor.user_id))
        uow.commit()
        return creator


def follow_creator(uow: UnitOfWork, actor: Actor, creator_id: int) -> None:
    """Follow a creator; following one you already follow changes nothing."""
    with uow:
        creator = _creator(uow, creator_id)
        if creator.user_id == actor.user_id:
            raise invalid(ContentError.CANNOT_FOLLOW_SELF, "you cannot follow yourself")
        if uow.session.get(Follow, (actor.user_id, creator_id)) is not None:
            return
        uow.session.add(
            Follow(user_id=actor.user_id, creator_id=creator_id, created_at=uow.clock.now())
        )
        uow.emit(events.CreatorFollowed(creator_id=creator_id, user_id=actor.user_id))
        uow.commit()


def unfollow_creator(uow: UnitOfWork, actor: Actor, creator_id: int) -> None:
    """Stop following a creator; unfollowing one you do not follow changes nothing."""
    with uow:
        _creator(uow, creator_id)
        follow = uow.session.get(Follow, (actor.user_id, creator_id))
        if follow is None:
            return
        uow.session.delete(follow)
        uow.emit(events.CreatorUnfollowed(creator_id=creator_id, user_id=actor.user_id))
        uow.commit()


# --- content ----------------------------------------------------------------------------------


def publish_content(uow: UnitOfWork, actor: Actor, cmd: PublishContent) -> ContentItem:
    """Publish a video, livestream or post from the actor's creator profile."""
    actor.require(Role.CREATOR)
    kind = validate_content(
        cmd.kind,
        cmd.title_en,
        cmd.title_zh,
        cmd.caption,
        cmd.cover_url,
        cmd.duration_s,
        cmd.product_ids,
    )
    with uow:
        creator = _own_creator(uow, actor)
        catalog.require_leaf_category(uow, cmd.category_id)
        for product_id in cmd.product_ids:
            catalog.require_on_sale(uow, product_id)
        item = ContentItem(
            creator_id=creator.id,
            kind=kind,
            title_en=cmd.title_en.strip(),
            title_zh=cmd.title_zh.strip(),
            caption=cmd.caption,
            cover_url=cmd.cover_url,
            duration_s=cmd.duration_s,
            category_id=cmd.category_id,
            status=ContentStatus.PUBLISHED,
            published_at=uow.clock.now(),
            products=[
                ContentProduct(product_id=pid, position=i) for i, pid in enumerate(cmd.product_ids)
            ],
        )
        uow.session.add(item)
        uow.session.flush()
        uow.emit(
            events.ContentPublished(
                content_id=item.id,
                creator_id=creator.id,
                kind=kind,
                category_id=item.category_id,
                product_ids=list(cmd.product_ids),
            )
        )
        uow.commit()
        return item


def mount_product(uow: UnitOfWork, actor: Actor, content_id: int, product_id: int) -> None:
    """Put a product that is on sale under a published content item (mounting it twice is a no-op)."""
    with uow:
        item = _owned_content(uow, actor, content_id)
        _require_published(item)
        if product_id in item.product_ids:
            return
        check_product_room(len(item.products), 1)
        catalog.require_on_sale(uow, product_id)
        position = max((p.position for p in item.products), default=-1) + 1
        item.products.append(ContentProduct(product_id=product_id, position=position))
        uow.emit(
            events.ProductMounted(content_id=item.id, product_id=product_id, position=position)
        )
        uow.commit()


def unmount_product(uow: UnitOfWork, actor: Actor, content_id: int, product_id: int) -> None:
    with uow:
        item = _owned_content(uow, actor, content_id)
        mounted = next((p for p in item.products if p.product_id == product_id), None)
        if mounted is None:
            raise not_found(
                ContentError.PRODUCT_NOT_MOUNTED, f"product on content {content_id}", product_id
            )
        item.products.remove(mounted)
        uow.emit(events.ProductUnmounted(content_id=item.id, product_id=product_id))
        uow.commit()


def remove_content(uow: UnitOfWork, actor: Actor, content_id: int, reason: str) -> ContentItem:
    """Take a content item down (its creator, or an operator); it leaves every feed at once."""
    cleaned = validate_removal_reason(reason)
    with uow:
        item = _owned_content(uow, actor, content_id)
        _require_published(item)
        item.status = ContentStatus.REMOVED
        item.removed_at = uow.clock.now()
        item.removal_reason = cleaned
        uow.emit(
            events.ContentRemoved(
                content_id=item.id,
                creator_id=item.creator_id,
                reason=cleaned,
                removed_by=actor.user_id,
            )
        )
        uow.commit()
        return item


# --- internals --------------------------------------------------------------------------------


def _creator(uow: UnitOfWork, creator_id: int) -> Creator:
    creator = uow.session.get(Creator, creator_id)
    if creator is None:
        raise not_found(ContentError.CREATOR_NOT_FOUND, "creator", creator_id)
    return creator


def _own_creator(uow: UnitOfWork, actor: Actor) -> Creator:
    creator = uow.session.scalar(select(Creator).where(Creator.user_id == actor.user_id))
    if creator is None:
        raise conflict(ContentError.NOT_A_CREATOR, "open your creator profile first")
    return creator


def _owned_content(uow: UnitOfWork, actor: Actor, content_id: int) -> ContentItem:
    item = uow.session.get(ContentItem, content_id)
    if item is None:
        raise not_found(ContentError.CONTENT_NOT_FOUND, "content", content_id)
    if actor.is_operator:
        return item
    owner = uow.session.scalar(select(Creator.user_id).where(Creator.id == item.creator_id))
    if owner != actor.user_id:
        raise forbidden("this content belongs to another creator")
    return item


def _require_published(item: ContentItem) -> None:
    if item.status != ContentStatus.PUBLISHED:
        raise conflict(ContentError.CONTENT_REMOVED, f"content {item.id} has been removed")

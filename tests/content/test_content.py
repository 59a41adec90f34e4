"""Content use cases and queries."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests import factories
from tests.content import factories as made
from xingqu.bootstrap import Platform
from xingqu.catalog import services as catalog
from xingqu.catalog.models import Category
from xingqu.content import queries, services
from xingqu.content.models import Follow
from xingqu.content.rules import MAX_PRODUCTS
from xingqu.shared.errors import DomainError, ErrorKind
from xingqu.shared.paging import PageRequest
from xingqu.store.outbox import OutboxEvent


def _events(p: Platform, prefix: str = "content.") -> list[tuple[str, dict[str, object]]]:
    with p.uow(readonly=True) as uow:
        rows = uow.session.scalars(
            select(OutboxEvent).where(OutboxEvent.name.startswith(prefix)).order_by(OutboxEvent.id)
        )
        return [(r.name, r.payload) for r in rows]


def _fails(p: Platform, call: object, code: str, kind: ErrorKind) -> None:
    """`call()` raises `code` and changes nothing."""
    before = factories.snapshot(p)
    with pytest.raises(DomainError) as err:
        call()  # type: ignore[operator]
    assert (str(err.value.code), err.value.kind) == (code, kind)
    assert factories.snapshot(p) == before


def _on_sale(p: Platform, n: int = 1) -> list[int]:
    owner, shop = factories.merchant(p)
    return [factories.product(p, owner, shop).id for _ in range(n)]


# --- creators ---------------------------------------------------------------------------------


def test_a_creator_registers_once(platform: Platform) -> None:
    # given a user with the creator role
    actor = factories.user(platform, "creator")
    # when they open their profile
    creator = services.register_creator(
        platform.uow(), actor, services.RegisterCreator(name="  Mei 小美 ", bio="skincare")
    )
    # then it is theirs and announced
    assert (creator.user_id, creator.name, creator.bio) == (actor.user_id, "Mei 小美", "skincare")
    assert _events(platform) == [
        ("content.creator_registered", {"creator_id": creator.id, "user_id": actor.user_id})
    ]
    # and a second profile is refused
    _fails(
        platform,
        lambda: services.register_creator(platform.uow(), actor, services.RegisterCreator("Again")),
        "content.creator_exists",
        ErrorKind.CONFLICT,
    )


def test_registering_needs_the_creator_role_and_a_name(platform: Platform) -> None:
    consumer = factories.consumer(platform)
    creator = factories.user(platform, "creator")
    _fails(
        platform,
        lambda: services.register_creator(
            platform.uow(), consumer, services.RegisterCreator("Mei")
        ),
        "shared.forbidden",
        ErrorKind.FORBIDDEN,
    )
    _fails(
        platform,
        lambda: services.register_creator(platform.uow(), creator, services.RegisterCreator(" ")),
        "content.invalid_creator",
        ErrorKind.INVALID,
    )


# --- publishing -------------------------------------------------------------------------------


def test_publish_content_with_products(platform: Platform, clock) -> None:  # type: ignore[no-untyped-def]
    # given a creator and two products on sale
    actor, creator_id = made.creator(platform)
    first, second = _on_sale(platform, 2)
    leaf = factories.leaf_category(platform)
    # when they publish a video carrying both
    item = services.publish_content(
        platform.uow(),
        actor,
        services.PublishContent(
            kind="video",
            title_en=" Serum routine ",
            title_zh="精华教程",
            category_id=leaf,
            caption="morning",
            duration_s=45,
            product_ids=[second, first],
        ),
    )
    # then the item is published with the products in the given order
    detail = queries.get_content(platform.uow(readonly=True), item.id)
    assert (detail.item.status, detail.item.title_en, detail.item.duration_s) == (
        "published",
        "Serum routine",
        45,
    )
    assert detail.item.published_at == clock.now()
    assert (detail.creator.id, detail.product_ids) == (creator_id, [second, first])
    assert _events(platform)[-1] == (
        "content.content_published",
        {
            "content_id": item.id,
            "creator_id": creator_id,
            "kind": "video",
            "category_id": leaf,
            "product_ids": [second, first],
        },
    )


def test_publishing_refuses_bad_input_and_changes_nothing(platform: Platform) -> None:
    actor, _ = made.creator(platform)
    no_profile = factories.user(platform, "creator")
    leaf = factories.leaf_category(platform)
    with platform.uow(readonly=True) as uow:
        parent = uow.session.scalar(select(Category.id).where(Category.code == "beauty.skincare"))
    owner, shop = factories.merchant(platform)
    delisted = factories.product(platform, owner, shop).id
    catalog.delist_product(platform.uow(), owner, delisted)

    def publish(who: object, **kw: object) -> object:
        args: dict[str, object] = {
            "kind": "video",
            "title_en": "T",
            "title_zh": "",
            "category_id": leaf,
            "duration_s": 30,
        }
        args.update(kw)
        return services.publish_content(platform.uow(), who, services.PublishContent(**args))  # type: ignore[arg-type]

    _fails(platform, lambda: publish(no_profile), "content.not_a_creator", ErrorKind.CONFLICT)
    _fails(platform, lambda: publish(owner), "shared.forbidden", ErrorKind.FORBIDDEN)
    _fails(
        platform,
        lambda: publish(actor, category_id=999),
        "catalog.category_not_found",
        ErrorKind.NOT_FOUND,
    )
    _fails(
        platform,
        lambda: publish(actor, category_id=parent),
        "catalog.category_not_leaf",
        ErrorKind.INVALID,
    )
    _fails(
        platform,
        lambda: publish(actor, product_ids=[delisted]),
        "catalog.product_not_available",
        ErrorKind.CONFLICT,
    )
    _fails(
        platform,
        lambda: publish(actor, product_ids=[12345]),
        "catalog.product_not_found",
        ErrorKind.NOT_FOUND,
    )
    _fails(
        platform,
        lambda: publish(actor, kind="post", duration_s=9),
        "content.invalid_content",
        ErrorKind.INVALID,
    )


# --- mounting ---------------------------------------------------------------------------------


def test_mount_and_unmount_products(platform: Platform) -> None:
    # given a published item carrying one product
    actor, _ = made.creator(platform)
    first, second = _on_sale(platform, 2)
    item = made.item(platform, actor, product_ids=[first])
    # when the creator mounts a second product, twice, and then unmounts the first
    services.mount_product(platform.uow(), actor, item.id, second)
    services.mount_product(platform.uow(), actor, item.id, second)
    services.unmount_product(platform.uow(), actor, item.id, first)
    # then only the second remains, and each real change was announced once
    assert queries.get_content(platform.uow(readonly=True), item.id).product_ids == [second]
    assert _events(platform)[-2:] == [
        ("content.product_mounted", {"content_id": item.id, "product_id": second, "position": 1}),
        ("content.product_unmounted", {"content_id": item.id, "product_id": first}),
    ]


def test_mounting_is_for_the_owner_and_products_on_sale(platform: Platform) -> None:
    actor, _ = made.creator(platform)
    other, _ = made.creator(platform)
    operator = factories.operator(platform)
    owner, shop = factories.merchant(platform)
    products = [factories.product(platform, owner, shop).id for _ in range(MAX_PRODUCTS + 2)]
    item = made.item(platform, actor, product_ids=products[:MAX_PRODUCTS])
    spare, delisted = products[MAX_PRODUCTS], products[MAX_PRODUCTS + 1]
    catalog.delist_product(platform.uow(), owner, delisted)

    _fails(
        platform,
        lambda: services.mount_product(platform.uow(), other, item.id, spare),
        "shared.forbidden",
        ErrorKind.FORBIDDEN,
    )
    _fails(
        platform,
        lambda: services.mount_product(platform.uow(), actor, item.id, spare),
        "content.too_many_products",
        ErrorKind.CONFLICT,
    )
    _fails(
        platform,
        lambda: services.mount_product(platform.uow(), actor, 999, spare),
        "content.content_not_found",
        ErrorKind.NOT_FOUND,
    )
    _fails(
        platform,
        lambda: services.unmount_product(platform.uow(), actor, item.id, spare),
        "content.product_not_mounted",
        ErrorKind.NOT_FOUND,
    )
    services.unmount_product(platform.uow(), operator, item.id, products[0])  # operators may
    _fails(
        platform,
        lambda: services.mount_product(platform.uow(), actor, item.id, delisted),
        "catalog.product_not_available",
        ErrorKind.CONFLICT,
    )
    services.mount_product(platform.uow(), actor, item.id, spare)
    assert queries.get_content(platform.uow(readonly=True), item.id).product_ids == [
        *products[1:MAX_PRODUCTS],
        spare,
    ]


# --- removal ----------------------------------------------------------------------------------


def test_owner_or_operator_removes_content(platform: Platform, clock) -> None:  # type: ignore[no-untyped-def]
    actor, creator_id = made.creator(platform)
    other, _ = made.creator(platform)
    operator = factories.operator(platform)
    mine, flagged = made.item(platform, actor), made.item(platform, actor)
    (product,) = _on_sale(platform)

    _fails(
        platform,
        lambda: services.remove_content(platform.uow(), other, mine.id, "spam"),
        "shared.forbidden",
        ErrorKind.FORBIDDEN,
    )
    _fails(
        platform,
        lambda: services.remove_content(platform.uow(), actor, mine.id, " "),
        "content.invalid_content",
        ErrorKind.INVALID,
    )
    removed = services.remove_content(platform.uow(), actor, mine.id, "outdated")
    services.remove_content(platform.uow(), operator, flagged.id, "misleading claims")

    assert (removed.status, removed.removal_reason, removed.removed_at) == (
        "removed",
        "outdated",
        clock.now(),
    )
    assert _events(platform, "content.content_removed") == [
        (
            "content.content_removed",
            {
                "content_id": mine.id,
                "creator_id": creator_id,
                "reason": "outdated",
                "removed_by": actor.user_id,
            },
        ),
        (
            "content.content_removed",
            {
                "content_id": flagged.id,
                "creator_id": creator_id,
                "reason": "misleading claims",
                "removed_by": operator.user_id,
            },
        ),
    ]
    _fails(
        platform,
        lambda: services.remove_content(platform.uow(), actor, mine.id, "again"),
        "content.content_removed",
        ErrorKind.CONFLICT,
    )
    _fails(
        platform,
        lambda: services.mount_product(platform.uow(), actor, mine.id, product),
        "content.content_removed",
        ErrorKind.CONFLICT,
    )


def test_listing_a_creators_content(platform: Platform, clock) -> None:  # type: ignore[no-untyped-def]
    # given three items published a minute apart, the middle one removed
    from datetime import timedelta

    actor, creator_id = made.creator(platform)
    items = []
    for _ in range(3):
        items.append(made.item(platform, actor))
        clock.advance(timedelta(minutes=1))
    services.remove_content(platform.uow(), actor, items[1].id, "old")
    # when / then the list is newest first, published only unless asked
    page = queries.list_content_by_creator(
        platform.uow(readonly=True), creator_id, PageRequest(limit=10)
    )
    assert ([c.id for c in page.items], page.total) == ([items[2].id, items[0].id], 2)
    everything = queries.list_content_by_creator(
        platform.uow(readonly=True),
        creator_id,
        PageRequest(limit=1, offset=1),
        include_removed=True,
    )
    assert ([c.id for c in everything.items], everything.total) == ([items[1].id], 3)
    with pytest.raises(DomainError) as err:
        queries.list_content_by_creator(platform.uow(readonly=True), 999, PageRequest())
    assert err.value.code == "content.creator_not_found"


# --- follows ----------------------------------------------------------------------------------


def test_following_is_idempotent(platform: Platform, clock) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    # given a fan and two creators
    fan = factories.consumer(platform)
    _, mei = made.creator(platform)
    _, lin = made.creator(platform)
    # when the fan follows Mei twice, then Lin, then unfollows Mei twice
    services.follow_creator(platform.uow(), fan, mei)
    services.follow_creator(platform.uow(), fan, mei)
    clock.advance(timedelta(seconds=1))
    services.follow_creator(platform.uow(), fan, lin)
    assert queries.follower_count(platform.uow(readonly=True), mei) == 1
    followed = queries.followed_creators(platform.uow(readonly=True), fan.user_id, PageRequest())
    assert ([c.id for c in followed.items], followed.total) == ([lin, mei], 2)
    services.unfollow_creator(platform.uow(), fan, mei)
    services.unfollow_creator(platform.uow(), fan, mei)
    # then each change happened, and was announced, once
    assert queries.get_creator(platform.uow(readonly=True), mei).follower_count == 0
    assert queries.get_creator(platform.uow(readonly=True), lin).follower_count == 1
    assert [e for e in _events(platform) if "follow" in e[0]] == [
        ("content.creator_followed", {"creator_id": mei, "user_id": fan.user_id}),
        ("content.creator_followed", {"creator_id": lin, "user_id": fan.user_id}),
        ("content.creator_unfollowed", {"creator_id": mei, "user_id": fan.user_id}),
    ]
    with platform.uow(readonly=True) as uow:
        assert list(uow.session.scalars(select(Follow.creator_id))) == [lin]


def test_you_cannot_follow_yourself_or_nobody(platform: Platform) -> None:
    actor, creator_id = made.creator(platform)
    _fails(
        platform,
        lambda: services.follow_creator(platform.uow(), actor, creator_id),
        "content.cannot_follow_self",
        ErrorKind.INVALID,
    )
    _fails(
        platform,
        lambda: services.follow_creator(platform.uow(), actor, 999),
        "content.creator_not_found",
        ErrorKind.NOT_FOUND,
    )
    _fails(
        platform,
        lambda: services.unfollow_creator(platform.uow(), actor, 999),
        "content.creator_not_found",
        ErrorKind.NOT_FOUND,
    )


def test_content_rows_behave_the_same_on_every_backend(any_platform: Platform) -> None:
    # given a creator, a fan and an item with a product
    actor, creator_id = made.creator(any_platform)
    fan = factories.consumer(any_platform)
    (product,) = _on_sale(any_platform)
    item = made.item(any_platform, actor, product_ids=[product], kind="live", duration_s=3600)
    # when the fan follows twice
    services.follow_creator(any_platform.uow(), fan, creator_id)
    services.follow_creator(any_platform.uow(), fan, creator_id)
    # then
    detail = queries.get_content(any_platform.uow(readonly=True), item.id)
    assert (detail.item.kind, detail.item.duration_s, detail.product_ids) == (
        "live",
        3600,
        [product],
    )
    assert queries.get_creator(any_platform.uow(readonly=True), creator_id).follower_count == 1

"""Recording behaviour and reading the behaviour log."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.content import factories as made
from xingqu.bootstrap import Platform
from xingqu.discovery import queries, services
from xingqu.discovery.models import BehaviourEvent
from xingqu.discovery.services import RecordBehaviour
from xingqu.shared.access import Actor
from xingqu.shared.errors import DomainError, ErrorKind
from xingqu.shared.paging import PageRequest


@dataclass
class World:
    viewer: Actor
    creator_id: int
    video: int  # 60 s, about the serum leaf, carrying `product`
    product: int
    leaf: int
    other_leaf: int  # the product's category


def _world(p: Platform) -> World:
    creator, creator_id = made.creator(p)
    owner, shop = factories.merchant(p)
    other_leaf = made.leaf(p, "toner")
    product = factories.product(p, owner, shop, category_id=other_leaf).id
    video = made.item(p, creator, product_ids=[product], duration_s=60).id
    return World(
        factories.consumer(p), creator_id, video, product, factories.leaf_category(p), other_leaf
    )


def _rows(p: Platform) -> list[tuple[object, ...]]:
    ev = BehaviourEvent
    with p.uow(readonly=True) as uow:
        return [
            tuple(r)
            for r in uow.session.execute(
                select(
                    ev.user_id,
                    ev.action,
                    ev.content_id,
                    ev.product_id,
                    ev.creator_id,
                    ev.category_id,
                    ev.value,
                    ev.request_id,
                ).order_by(ev.id)
            )
        ]


def test_recording_fills_creator_and_category(any_platform: Platform, clock) -> None:  # type: ignore[no-untyped-def]
    # given a viewer, a 60 s video about one leaf carrying a product of another leaf
    w = _world(any_platform)
    # when the viewer watches it, clicks the product from it and reviews the product
    watched = services.record_behaviour(
        any_platform.uow(),
        w.viewer,
        RecordBehaviour("watch", content_id=w.video, value=42.5, request_id="req-1"),
    )
    services.record_behaviour(
        any_platform.uow(),
        w.viewer,
        RecordBehaviour("product_click", content_id=w.video, product_id=w.product),
    )
    services.record_behaviour(
        any_platform.uow(), w.viewer, RecordBehaviour("review", product_id=w.product, value=4)
    )
    # then content actions take the content's category, product actions the product's
    assert watched.occurred_at == clock.now()
    assert _rows(any_platform) == [
        (w.viewer.user_id, "watch", w.video, None, w.creator_id, w.leaf, 42.5, "req-1"),
        (
            w.viewer.user_id,
            "product_click",
            w.video,
            w.product,
            w.creator_id,
            w.other_leaf,
            0.0,
            None,
        ),
        (w.viewer.user_id, "review", None, w.product, None, w.other_leaf, 4.0, None),
    ]


def test_bad_behaviour_changes_nothing(platform: Platform) -> None:
    w = _world(platform)
    cases = [
        (
            RecordBehaviour("watch", content_id=w.video, value=66.5),
            "discovery.invalid_behaviour",
            ErrorKind.INVALID,
        ),
        (
            RecordBehaviour("watch", content_id=999, value=1),
            "content.content_not_found",
            ErrorKind.NOT_FOUND,
        ),
        (
            RecordBehaviour("product_click", product_id=999),
            "catalog.product_not_found",
            ErrorKind.NOT_FOUND,
        ),
        (
            RecordBehaviour("pay", product_id=w.product),
            "discovery.action_not_recordable",
            ErrorKind.INVALID,
        ),
        (
            RecordBehaviour("review", product_id=w.product, value=9),
            "discovery.invalid_behaviour",
            ErrorKind.INVALID,
        ),
        (
            RecordBehaviour("stare", content_id=w.video),
            "discovery.unknown_action",
            ErrorKind.INVALID,
        ),
    ]
    before = factories.snapshot(platform)
    for cmd, code, kind in cases:
        with pytest.raises(DomainError) as err:
            services.record_behaviour(platform.uow(), w.viewer, cmd)
        assert (str(err.value.code), err.value.kind) == (code, kind), cmd
    assert factories.snapshot(platform) == before


def test_a_batch_is_all_or_nothing(any_platform: Platform) -> None:
    # given a batch whose third behaviour names missing content
    w = _world(any_platform)
    good = [
        RecordBehaviour("impression", content_id=w.video),
        RecordBehaviour("like", content_id=w.video),
    ]
    before = factories.snapshot(any_platform)
    with pytest.raises(DomainError) as err:
        services.record_behaviours(
            any_platform.uow(), w.viewer, [*good, RecordBehaviour("share", content_id=404)]
        )
    # then nothing was recorded, and the error says which one
    assert (err.value.code, err.value.details) == (
        "content.content_not_found",
        {"id": 404, "index": 2},
    )
    assert factories.snapshot(any_platform) == before
    # when the batch is fixed it is recorded at once
    assert (
        services.record_behaviours(
            any_platform.uow(), w.viewer, [*good, RecordBehaviour("share", content_id=w.video)]
        )
        == 3
    )
    assert [r[1] for r in _rows(any_platform)] == ["impression", "like", "share"]
    with pytest.raises(DomainError) as empty:
        services.record_behaviours(any_platform.uow(), w.viewer, [])
    assert empty.value.code == "discovery.invalid_batch"


def test_reading_the_log(platform: Platform) -> None:
    # given two viewers' behaviour
    w = _world(platform)
    other = factories.consumer(platform)
    operator = factories.operator(platform)
    services.record_behaviours(
        platform.uow(),
        w.viewer,
        [
            RecordBehaviour("impression", content_id=w.video),
            RecordBehaviour("watch", content_id=w.video, value=10),
            RecordBehaviour("product_click", content_id=w.video, product_id=w.product),
        ],
    )
    services.record_behaviour(platform.uow(), other, RecordBehaviour("like", content_id=w.video))
    uow = platform.uow
    # when / then
    mine = queries.behaviour_of_user(uow(readonly=True), w.viewer.user_id, PageRequest(limit=2))
    assert ([b.action for b in mine.items], mine.total) == (["product_click", "watch"], 3)
    watches = queries.behaviour_of_user(
        uow(readonly=True), w.viewer.user_id, PageRequest(), action="watch"
    )
    assert [b.value for b in watches.items] == [10.0]
    about_video = queries.behaviour_of_item(uow(readonly=True), PageRequest(), content_id=w.video)
    assert about_video.total == 4
    about_product = queries.behaviour_of_item(
        uow(readonly=True), PageRequest(), product_id=w.product
    )
    assert [b.user_id for b in about_product.items] == [w.viewer.user_id]
    assert queries.action_counts(uow(readonly=True), content_id=w.video) == {
        "impression": 1,
        "watch": 1,
        "product_click": 1,
        "like": 1,
    }
    assert queries.action_counts(uow(readonly=True), user_id=other.user_id) == {"like": 1}
    log = queries.behaviour_log(uow(readonly=True), operator, PageRequest(), user_id=other.user_id)
    assert [(b.user_id, b.action) for b in log.items] == [(other.user_id, "like")]
    with pytest.raises(DomainError) as err:
        queries.behaviour_log(uow(readonly=True), w.viewer, PageRequest())
    assert err.value.kind == ErrorKind.FORBIDDEN
    with pytest.raises(DomainError) as both:
        queries.behaviour_of_item(
            uow(readonly=True), PageRequest(), content_id=w.video, product_id=w.product
        )
    assert both.value.code == "discovery.invalid_query"
    with pytest.raises(DomainError) as unknown:
        queries.behaviour_of_user(
            uow(readonly=True), w.viewer.user_id, PageRequest(), action="stare"
        )
    assert unknown.value.code == "discovery.unknown_action"
    with platform.uow(readonly=True) as check:
        assert check.session.scalar(select(func.count()).select_from(BehaviourEvent)) == 4

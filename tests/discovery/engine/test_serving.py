"""The feed engine with a trained version: hard filters under every channel, hot swaps."""

from __future__ import annotations

import threading
from collections import defaultdict
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select, update

from xingqu.bootstrap import Platform, build_platform
from xingqu.catalog.models import Product, Sku
from xingqu.catalog.rules import ProductStatus
from xingqu.config import Settings
from xingqu.content.models import ContentItem
from xingqu.discovery.engine.registry import ModelRegistry
from xingqu.discovery.engine.training import train_and_publish
from xingqu.discovery.feed import Feed, feed
from xingqu.discovery.port import DataPort
from xingqu.sim.context import consumer
from xingqu.sim.truth import SimTruth

from .conftest import SMALL_DATA


def _all_feeds(p: Platform, *, limit: int = 50) -> list[Feed]:
    truth = SimTruth.load(p.settings.data_dir)
    return [
        feed(p.uow(), consumer(u.user_id), limit=limit, engine=p.feed_engine) for u in truth.users
    ]


def _products_by_channel(pages: list[Feed]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = defaultdict(set)
    for page in pages:
        for item in page.items:
            out[item.channel.value] |= {x.product_id for x in item.products}
    return out


def test_delisted_and_sold_out_products_never_appear_under_any_channel(trained: Platform) -> None:
    # given the products each channel shows (on a copy of the world, so the real run below
    # starts from the same state)
    p = trained
    before = _products_by_channel(_all_feeds(p))
    assert {"model", "session", "follow", "interest", "exploration", "trending", "fresh"} <= set(
        before
    )
    # when the product shown most by every channel is delisted, and the runner-up sold out
    doomed_delisted: set[int] = set()
    doomed_sold_out: set[int] = set()
    for products in before.values():
        ranked = sorted(products)
        doomed_delisted.add(ranked[0])
        doomed_sold_out.add(ranked[-1])
    doomed_sold_out -= doomed_delisted
    with p.uow() as uow:
        uow.session.execute(
            update(Product)
            .where(Product.id.in_(doomed_delisted))
            .values(status=ProductStatus.DELISTED)
        )
        uow.session.execute(update(Sku).where(Sku.product_id.in_(doomed_sold_out)).values(stock=0))
        uow.commit()
    after = _all_feeds(p)
    # then no feed shows them, whatever the channel; cards keep only buyable products
    shown = set().union(*_products_by_channel(after).values())
    assert not shown & (doomed_delisted | doomed_sold_out)
    with p.uow(readonly=True) as uow:
        live = set(
            uow.session.scalars(
                select(Product.id)
                .join(Sku, Sku.product_id == Product.id)
                .where(Product.status == ProductStatus.LIVE, Sku.stock > 0)
            )
        )
    assert shown <= live


def test_a_new_version_is_swapped_in_without_dropping_requests(trained: Platform) -> None:
    # given servers polling the registry every few milliseconds
    p = trained
    engine = p.feed_engine
    engine.slot.poll_s = 0.005
    registry = engine.slot.registry
    assert isinstance(registry, ModelRegistry)
    old = registry.current()
    users = [u.user_id for u in SimTruth.load(p.settings.data_dir).users]
    seen: dict[int, list[str | None]] = defaultdict(list)
    failures: list[BaseException] = []
    published = threading.Event()
    done = threading.Event()

    def serve(worker: int) -> None:
        try:
            n = 0
            while not done.is_set() or n < 3:
                user = users[(worker * 7 + n) % len(users)]
                page = feed(p.uow(), consumer(user), limit=10, engine=engine)
                seen[worker].append(page.model_version)
                n += 1
                if published.is_set() and page.model_version != old:
                    done.set()
        except BaseException as exc:
            failures.append(exc)
            done.set()

    threads = [threading.Thread(target=serve, args=(w,)) for w in range(3)]
    for t in threads:
        t.start()
    # when a new version is trained and published while they serve
    manifest = train_and_publish(
        lambda: p.uow(readonly=True), registry, now=p.clock.now(), settings=SMALL_DATA
    )
    published.set()
    for t in threads:
        t.join(timeout=60)
    # then every request was answered, each server moved from the old version to the new one
    # and never back
    assert failures == []
    assert manifest.version != old
    for versions in seen.values():
        switch = versions.index(manifest.version) if manifest.version in versions else len(versions)
        assert set(versions[:switch]) == {old}
        assert set(versions[switch:]) <= {manifest.version}
    assert any(manifest.version in versions for versions in seen.values())


def test_warming_up_loads_the_version_before_the_first_request(trained_template, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # given a fresh server process's platform (nothing loaded yet)
    from tests.sim.tiny import copy_world

    from .conftest import trained_platform

    p = trained_platform(copy_world(trained_template, tmp_path / "w"))
    assert p.feed_engine.slot.held is None
    # when it warms up
    p.feed_engine.warm_up(p.uow())
    # then the current version is held, without any feed served
    held = p.feed_engine.slot.held
    assert held is not None and held.version == p.feed_engine.slot.registry.current()  # type: ignore[union-attr]
    p.close()


def test_the_exploration_slots_setting_reaches_the_feed_and_refuses_bad_positions(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path, environment="test", exploration_slots=[2, 5, 8])
    p = build_platform(settings)
    try:
        assert p.feed_engine.policy.exploration_slots == (2, 5, 8)
    finally:
        p.close()
    for bad in ([3, -1], [4, 4]):
        with pytest.raises(ValidationError, match="exploration slots are distinct positions"):
            Settings(data_dir=tmp_path, environment="test", exploration_slots=bad)


def test_content_durations_come_from_the_version_and_the_database_alike(trained: Platform) -> None:
    engine = trained.feed_engine
    model = engine.slot.refresh()
    assert model is not None
    with trained.uow(readonly=True) as uow:
        truth = dict(uow.session.execute(select(ContentItem.id, ContentItem.duration_s)).all())
        known = [int(c) for c in model.items.content_ids[:50]]
        unknown = sorted(set(truth) - set(model.items.content_ids.tolist()))[:5]
        missing = max(truth) + 1000  # no such content
        ids = {*known, *unknown, missing}
        found = engine._durations(DataPort(uow), model, ids)
        assert found == {c: truth[c] for c in [*known, *unknown]}
        assert engine._durations(DataPort(uow), None, ids) == found

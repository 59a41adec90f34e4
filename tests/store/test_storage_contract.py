"""The storage contract: the same behaviour on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from xingqu.bootstrap import Platform
from xingqu.catalog.models import Category
from xingqu.shared.events import Event
from xingqu.store import migrate
from xingqu.store.outbox import OutboxEvent
from xingqu.store.uow import UnitOfWorkError


@dataclass(frozen=True, kw_only=True)
class Pinged(Event):
    name = "test.pinged"
    aggregate = "ping"
    ping_id: int


def _count(p: Platform, model: type) -> int:
    with p.uow(readonly=True) as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


def test_migrations_match_the_models(any_platform: Platform) -> None:
    # given a migrated database / then the models and the schema agree
    assert migrate.current_revision(any_platform.engine) == "0001_initial"
    assert migrate.pending_model_changes(any_platform.engine) == []


def test_uncommitted_work_is_rolled_back(any_platform: Platform) -> None:
    # given / when a unit of work adds a row and an event but does not commit
    with any_platform.uow() as uow:
        uow.session.add(Category(code="x", name_en="X", name_zh="X", level=1))
        uow.emit(Pinged(ping_id=1))
    # then nothing was written
    assert _count(any_platform, Category) == 0
    assert _count(any_platform, OutboxEvent) == 0


def test_an_exception_rolls_back(any_platform: Platform) -> None:
    with pytest.raises(RuntimeError), any_platform.uow() as uow:
        uow.session.add(Category(code="x", name_en="X", name_zh="X", level=1))
        uow.emit(Pinged(ping_id=1))
        uow.commit()  # committed part stays
        uow.session.add(Category(code="y", name_en="Y", name_zh="Y", level=1))
        raise RuntimeError("boom")
    with any_platform.uow(readonly=True) as uow:
        assert list(uow.session.scalars(select(Category.code))) == ["x"]
    assert _count(any_platform, OutboxEvent) == 1


def test_events_are_written_with_the_change_in_order(any_platform: Platform, clock) -> None:  # type: ignore[no-untyped-def]
    for i in (1, 2, 3):
        with any_platform.uow() as uow:
            uow.emit(Pinged(ping_id=i))
            uow.commit()
    with any_platform.uow(readonly=True) as uow:
        rows = list(uow.session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)))
    assert [(r.name, r.aggregate, r.aggregate_id, r.payload) for r in rows] == [
        ("test.pinged", "ping", str(i), {"ping_id": i}) for i in (1, 2, 3)
    ]
    assert all(r.occurred_at == clock.now() and r.published_at is None for r in rows)


def test_relay_runs_handlers_once_and_marks_published(any_platform: Platform) -> None:
    seen: list[int] = []
    any_platform.relay.handlers = {
        "test.pinged": [lambda uow, row: seen.append(row.payload["ping_id"])]
    }
    for i in (1, 2):
        with any_platform.uow() as uow:
            uow.emit(Pinged(ping_id=i))
            uow.commit()
    assert any_platform.relay.pending() == 2
    assert any_platform.drain_events() == 2
    assert any_platform.drain_events() == 0
    assert seen == [1, 2]
    assert any_platform.relay.pending() == 0


def test_a_failing_handler_leaves_the_event_pending(any_platform: Platform) -> None:
    def broken(uow, row):  # type: ignore[no-untyped-def]
        uow.session.add(Category(code="side-effect", name_en="S", name_zh="S", level=1))
        raise RuntimeError("handler failed")

    any_platform.relay.handlers = {"test.pinged": [broken]}
    with any_platform.uow() as uow:
        uow.emit(Pinged(ping_id=1))
        uow.commit()
    with pytest.raises(RuntimeError):
        any_platform.drain_events()
    assert any_platform.relay.pending() == 1
    assert _count(any_platform, Category) == 0


def test_unit_of_work_cannot_be_nested_or_used_outside_with(any_platform: Platform) -> None:
    uow = any_platform.uow()
    with pytest.raises(UnitOfWorkError):
        _ = uow.session
    with uow, pytest.raises(UnitOfWorkError):
        uow.__enter__()


def test_readonly_unit_of_work_refuses_to_commit(any_platform: Platform) -> None:
    with any_platform.uow(readonly=True) as uow, pytest.raises(UnitOfWorkError):
        uow.commit()

"""The behaviour log round-trips through Parquet."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from tests import factories
from tests.content import factories as made
from xingqu.bootstrap import Platform
from xingqu.discovery import services
from xingqu.discovery.export import BEHAVIOUR_SCHEMA, export_behaviour
from xingqu.discovery.models import BehaviourEvent
from xingqu.discovery.services import RecordBehaviour
from xingqu.shared.errors import DomainError


def _seed(p: Platform, clock) -> None:  # type: ignore[no-untyped-def]
    """Seven rows over seven hours: watches, a review, a click, an impression with a request id."""
    creator, _ = made.creator(p)
    owner, shop = factories.merchant(p)
    product = factories.product(p, owner, shop).id
    video = made.item(p, creator, product_ids=[product]).id
    viewer = factories.consumer(p)
    cmds = [
        RecordBehaviour("impression", content_id=video, request_id="r-1"),
        RecordBehaviour("watch", content_id=video, value=12.25),
        RecordBehaviour("product_click", content_id=video, product_id=product),
        RecordBehaviour("review", product_id=product, value=5),
        RecordBehaviour("like", content_id=video),
        RecordBehaviour("share", content_id=video),
        RecordBehaviour("watch", content_id=video, value=60),
    ]
    for cmd in cmds:
        services.record_behaviour(p.uow(), viewer, cmd)
        clock.advance(timedelta(hours=1))


def test_export_round_trips_every_row_in_chunks(platform: Platform, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # given seven behaviour rows
    _seed(platform, clock)
    # when they are exported three rows at a time
    path = tmp_path / "exports" / "behaviour.parquet"
    written = export_behaviour(platform.uow(readonly=True), path, chunk_rows=3)
    # then the file holds exactly the log, with the declared schema
    assert written == 7
    assert pq.read_schema(path).equals(BEHAVIOUR_SCHEMA)
    frame = pl.read_parquet(path)
    ev = BehaviourEvent
    with platform.uow(readonly=True) as uow:
        rows = uow.session.execute(
            select(
                ev.id,
                ev.user_id,
                ev.action,
                ev.content_id,
                ev.product_id,
                ev.creator_id,
                ev.category_id,
                ev.value,
                ev.request_id,
                ev.source_event_id,
                ev.occurred_at,
            ).order_by(ev.id)
        ).all()
    assert frame.rows() == [tuple(r) for r in rows]
    assert frame["occurred_at"].dtype == pl.Datetime("us", "UTC")
    assert not list(tmp_path.glob("exports/*.partial"))


def test_export_window_and_empty_export(platform: Platform, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    start = clock.now()
    _seed(platform, clock)
    # a window of hours 2..4 (the end is excluded)
    n = export_behaviour(
        platform.uow(readonly=True),
        tmp_path / "window.parquet",
        since=start + timedelta(hours=2),
        until=start + timedelta(hours=5),
    )
    frame = pl.read_parquet(tmp_path / "window.parquet")
    assert (n, frame["action"].to_list()) == (3, ["product_click", "review", "like"])
    # nothing in the window still makes a readable file with the schema
    empty = export_behaviour(
        platform.uow(readonly=True), tmp_path / "empty.parquet", since=clock.now()
    )
    assert empty == 0
    assert pq.read_table(tmp_path / "empty.parquet").schema.equals(BEHAVIOUR_SCHEMA)
    assert pq.read_table(tmp_path / "empty.parquet").num_rows == 0


def test_export_refuses_bad_bounds(platform: Platform, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    naive = clock.now().replace(tzinfo=None)
    for kw in ({"since": naive}, {"since": clock.now(), "until": clock.now()}, {"chunk_rows": 0}):
        with pytest.raises(DomainError) as err:
            export_behaviour(platform.uow(readonly=True), tmp_path / "x.parquet", **kw)  # type: ignore[arg-type]
        assert err.value.code == "discovery.invalid_export"
    assert not list(tmp_path.glob("x.parquet*"))

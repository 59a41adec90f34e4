"""Exporting the behaviour log to Parquet for offline training and evaluation."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select

from xingqu.discovery.errors import DiscoveryError
from xingqu.discovery.models import BehaviourEvent
from xingqu.shared.errors import invalid
from xingqu.store.uow import UnitOfWork

BEHAVIOUR_SCHEMA = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("user_id", pa.int64(), nullable=False),
        pa.field("action", pa.string(), nullable=False),
        pa.field("content_id", pa.int64()),
        pa.field("product_id", pa.int64()),
        pa.field("creator_id", pa.int64()),
        pa.field("category_id", pa.int64()),
        pa.field("value", pa.float64(), nullable=False),
        pa.field("request_id", pa.string()),
        pa.field("source_event_id", pa.int64()),
        pa.field("occurred_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)
"""The export's columns, in order: a contract with the offline jobs that read it."""

CHUNK_ROWS = 50_000

_COLUMNS = [getattr(BehaviourEvent, f.name) for f in BEHAVIOUR_SCHEMA]


def export_behaviour(
    uow: UnitOfWork,
    path: Path | str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> int:
    """Write the behaviour with `since <= occurred_at < until` to a Parquet file, in id order.

    Rows are read and written `chunk_rows` at a time (keyset pages by id), so memory stays flat on
    millions of rows; the file appears under `path` only once it is complete. Returns the count.
    """
    for bound in (since, until):
        if bound is not None and bound.tzinfo is None:
            raise invalid(DiscoveryError.INVALID_EXPORT, "export bounds must be timezone-aware")
    if since is not None and until is not None and until <= since:
        raise invalid(DiscoveryError.INVALID_EXPORT, "`until` must be after `since`")
    if chunk_rows < 1:
        raise invalid(DiscoveryError.INVALID_EXPORT, "chunk_rows must be positive")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    ev = BehaviourEvent
    window: list[Any] = []
    if since is not None:
        window.append(ev.occurred_at >= since)
    if until is not None:
        window.append(ev.occurred_at < until)
    written = 0
    try:
        with uow, pq.ParquetWriter(partial, BEHAVIOUR_SCHEMA, compression="zstd") as writer:
            last_id = 0
            while True:
                rows = uow.session.execute(
                    select(*_COLUMNS)
                    .where(ev.id > last_id, *window)
                    .order_by(ev.id)
                    .limit(chunk_rows)
                ).all()
                if not rows:
                    break
                columns = list(zip(*rows, strict=True))
                writer.write_table(
                    pa.Table.from_arrays(
                        [
                            pa.array(col, type=f.type)
                            for col, f in zip(columns, BEHAVIOUR_SCHEMA, strict=True)
                        ],
                        schema=BEHAVIOUR_SCHEMA,
                    )
                )
                written += len(rows)
                last_id = rows[-1][0]
                if len(rows) < chunk_rows:
                    break
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return written

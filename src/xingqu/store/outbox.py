"""The event outbox: events are rows written in the same transaction as the change they describe."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xingqu.store.base import Base, BigId, UtcDateTime


class OutboxEvent(Base):
    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80))
    aggregate: Mapped[str] = mapped_column(String(40))
    aggregate_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (
        Index("ix_outbox_events_pending", "published_at", "id"),
        Index("ix_outbox_events_aggregate", "aggregate", "aggregate_id"),
    )

    def as_json(self) -> str:
        return json.dumps(
            {
                "id": self.id,
                "name": self.name,
                "aggregate": self.aggregate,
                "aggregate_id": self.aggregate_id,
                "payload": self.payload,
                "occurred_at": self.occurred_at.isoformat(),
            },
            ensure_ascii=False,
            sort_keys=True,
        )

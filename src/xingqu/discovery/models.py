"""Discovery tables: the behaviour log.

The log carries no foreign keys: it is an append-only record of what people did, denormalised
(creator, category) for fast profiles, and may later live in a stream or columnar store instead.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Double, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from xingqu.store.base import Base, BigId, UtcDateTime


class BehaviourEvent(Base):
    __tablename__ = "behaviour_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(16))
    content_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    product_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    creator_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    category_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    value: Mapped[float] = mapped_column(Double, default=0.0)
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # The outbox event a reaction recorded this row from, and the row's place among the rows that
    # event produced (an order makes one row per line): replaying the event adds nothing.
    source_event_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    source_seq: Mapped[int] = mapped_column(Integer, default=0)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("source_event_id", "source_seq"),
        Index("ix_behaviour_events_user_time", "user_id", "occurred_at"),
        Index("ix_behaviour_events_user_action_time", "user_id", "action", "occurred_at"),
        Index("ix_behaviour_events_content_time", "content_id", "occurred_at"),
        Index("ix_behaviour_events_product_time", "product_id", "occurred_at"),
        # by time (exports); covering for the popularity window's per-content counts
        Index("ix_behaviour_events_time_action_content", "occurred_at", "action", "content_id"),
    )

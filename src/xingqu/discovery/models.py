"""Discovery tables: the behaviour log, and the exploration bandit's learned state.

The log carries no foreign keys: it is an append-only record of what people did, denormalised
(creator, category, shop) for fast profiles, and may later live in a stream or columnar store
instead. Impressions a feed served also carry how they were chosen: the model version, the
retrieval channel, the position on the page and the scores (retrieval, the ranker's four heads
and the quality-GMV value), so that training joins what was shown to what followed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Double,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    UniqueConstraint,
    text,
)
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
    # The shop that sold the product (orders, payments, refunds, complaints about a product it
    # sold): what merchant quality is counted from.
    shop_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    value: Mapped[float] = mapped_column(Double, default=0.0)
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # The outbox event a reaction recorded this row from, and the row's place among the rows that
    # event produced (an order makes one row per line): replaying the event adds nothing.
    source_event_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    source_seq: Mapped[int] = mapped_column(Integer, default=0)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # --- served impressions only: how the feed chose the item -------------------------------
    model_version: Mapped[str | None] = mapped_column(String(40), default=None)
    channel: Mapped[str | None] = mapped_column(String(16), default=None)
    position: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    retrieval_score: Mapped[float | None] = mapped_column(Double, default=None)
    p_click: Mapped[float | None] = mapped_column(Double, default=None)
    p_buy_given_click: Mapped[float | None] = mapped_column(Double, default=None)
    p_refund_given_buy: Mapped[float | None] = mapped_column(Double, default=None)
    expected_watch_s: Mapped[float | None] = mapped_column(Double, default=None)
    value_fen: Mapped[float | None] = mapped_column(Double, default=None)
    # exploration impressions: the user's interest category the exploration started from
    anchor_category_id: Mapped[int | None] = mapped_column(BigInteger, default=None)

    __table_args__ = (
        UniqueConstraint("source_event_id", "source_seq"),
        Index("ix_behaviour_events_user_time", "user_id", "occurred_at"),
        Index("ix_behaviour_events_user_action_time", "user_id", "action", "occurred_at"),
        Index("ix_behaviour_events_content_time", "content_id", "occurred_at"),
        Index("ix_behaviour_events_product_time", "product_id", "occurred_at"),
        # by time (exports); covering for the popularity window's per-content counts
        Index("ix_behaviour_events_time_action_content", "occurred_at", "action", "content_id"),
        # merchant quality: only the few rows about a shop are indexed
        Index(
            "ix_behaviour_events_shop_action_time",
            "shop_id",
            "action",
            "occurred_at",
            sqlite_where=text("shop_id IS NOT NULL"),
            postgresql_where=text("shop_id IS NOT NULL"),
        ),
    )


class ExplorationArm(Base):
    """The exploration bandit's Beta posterior for one (anchor, category) pair: how users whose
    interests include the anchor category respond when the feed shows them the category as an
    exploration. Anchor 0 stands for users without interests yet."""

    __tablename__ = "exploration_arms"

    anchor_category_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    category_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    reward: Mapped[float] = mapped_column(Double)  # Σ of the rewards of its impressions
    shown: Mapped[int] = mapped_column(Integer, default=0)  # exploration impressions learned from
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LogCursor(Base):
    """How far an incremental job has read the behaviour log (the last event id it consumed)."""

    __tablename__ = "behaviour_log_cursors"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ServedFeatures(Base):
    """The ranker's input row of one served impression, exactly as the feed computed it (a
    float32 vector in `feature_set` order): training joins it to what followed, so the model
    learns from the features it will see when serving (no training/serving skew)."""

    __tablename__ = "served_features"

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    feature_set: Mapped[str] = mapped_column(String(16))  # `ranking.features.FEATURE_SET`
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    served_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)

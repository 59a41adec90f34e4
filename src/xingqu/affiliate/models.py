"""Affiliate tables: commission plans, creators' selections and ratings, commissions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from xingqu.affiliate.rules import CommissionStatus, PlanKind, PlanStatus
from xingqu.store.base import Base, BigId, UtcDateTime
from xingqu.trade.terms import CreatorRating


class AffiliatePlan(Base):
    """A merchant's offer of `rate_bp` commission on a product: to every creator (open) or to one
    named creator (targeted)."""

    __tablename__ = "affiliate_plans"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    kind: Mapped[str] = mapped_column(String(12), default=PlanKind.OPEN)
    creator_id: Mapped[int | None] = mapped_column(ForeignKey("creators.id"), default=None)
    rate_bp: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(12), default=PlanStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)

    __table_args__ = (
        Index("ix_affiliate_plans_product_status", "product_id", "status"),
        CheckConstraint("rate_bp > 0 AND rate_bp <= 10000", name="rate_in_range"),
    )


class CreatorSelection(Base):
    """A product a creator picked to promote (their showcase, 橱窗)."""

    __tablename__ = "creator_selections"

    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    selected_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CreatorRatingRecord(Base):
    """A creator's operating rating, set by the platform (creators without one are rated B)."""

    __tablename__ = "creator_ratings"

    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id"), primary_key=True)
    rating: Mapped[str] = mapped_column(String(2), default=CreatorRating.B)
    set_by: Mapped[int] = mapped_column(BigInteger)
    set_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Commission(Base):
    """One order line attributed to a creator's content, and what it earned.

    `rate_bp` is fixed when the order is placed; `fee_bp` (the platform's fee on commission, by
    the creator's rating) when it is settled. The amounts are what the ledger holds for it now:
    zero until settled, and shrinking when a refund claws commission back.
    """

    __tablename__ = "commissions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(BigInteger, index=True)
    order_line_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id"), index=True)
    content_id: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(BigInteger)
    plan_id: Mapped[int] = mapped_column(ForeignKey("affiliate_plans.id"))
    buyer_id: Mapped[int] = mapped_column(BigInteger)
    shop_id: Mapped[int] = mapped_column(BigInteger)
    line_total_fen: Mapped[int] = mapped_column()
    rate_bp: Mapped[int] = mapped_column()
    fee_bp: Mapped[int | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(12), default=CommissionStatus.PENDING)
    base_fen: Mapped[int] = mapped_column(default=0)
    gross_fen: Mapped[int] = mapped_column(default=0)
    fee_fen: Mapped[int] = mapped_column(default=0)
    net_fen: Mapped[int] = mapped_column(default=0)
    touched_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_commissions_creator_status", "creator_id", "status"),
        CheckConstraint("net_fen >= 0 AND fee_fen >= 0 AND gross_fen >= 0", name="not_negative"),
    )


class AffiliateTouch(Base):
    """A buyer met a product through a creator's content (opened its product card, or added it
    to the cart from there). The last touch within the attribution window earns the order."""

    __tablename__ = "affiliate_touches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    product_id: Mapped[int] = mapped_column(BigInteger)
    content_id: Mapped[int] = mapped_column(BigInteger)
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id"))
    touched_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_affiliate_touches_buyer_product_time", "buyer_id", "product_id", "touched_at"),
    )

"""Content tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from xingqu.content.rules import ContentStatus
from xingqu.store.base import Base, BigId, UtcDateTime


class Creator(Base):
    __tablename__ = "creators"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    bio: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ContentItem(Base):
    """A short video, a livestream or an image post, about one leaf category."""

    __tablename__ = "content_items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id"))
    kind: Mapped[str] = mapped_column(String(8))
    title_en: Mapped[str] = mapped_column(String(120), default="")
    title_zh: Mapped[str] = mapped_column(String(120), default="")
    caption: Mapped[str] = mapped_column(Text, default="")
    cover_url: Mapped[str] = mapped_column(String(300), default="")
    duration_s: Mapped[int] = mapped_column()
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    status: Mapped[str] = mapped_column(String(16), default=ContentStatus.PUBLISHED)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    removal_reason: Mapped[str | None] = mapped_column(String(200), default=None)

    products: Mapped[list[ContentProduct]] = relationship(
        order_by="ContentProduct.position", lazy="selectin", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("duration_s >= 0", name="duration_not_negative"),
        Index("ix_content_items_creator_published", "creator_id", "published_at"),
        Index("ix_content_items_status_published", "status", "published_at"),
        # covers the feed's "published in these categories, newest first"
        Index(
            "ix_content_items_category_status_published", "category_id", "status", "published_at"
        ),
    )

    @property
    def product_ids(self) -> list[int]:
        return [p.product_id for p in self.products]


class ContentProduct(Base):
    """A product mounted on a content item (the shopping card under a video or in a stream)."""

    __tablename__ = "content_products"

    content_id: Mapped[int] = mapped_column(ForeignKey("content_items.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column()


class Follow(Base):
    __tablename__ = "follows"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

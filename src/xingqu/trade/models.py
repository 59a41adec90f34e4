"""Trade tables: cart lines, orders and their lines, payments, shipments.

`content_id` columns carry no foreign key: they name the content (video, livestream, post) that
led to a purchase, which belongs to the content context and is only ever reported, not joined.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from xingqu.shared.money import Money
from xingqu.store.base import Base, BigId, UtcDateTime
from xingqu.trade.rules import OrderStatus, PaymentStatus


class CartLine(Base):
    """One SKU in a buyer's cart; a buyer's cart is the set of their lines."""

    __tablename__ = "cart_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    quantity: Mapped[int] = mapped_column()
    content_id: Mapped[int | None] = mapped_column(default=None)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("buyer_id", "sku_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.PENDING_PAYMENT)
    total_fen: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    checkout_key: Mapped[str | None] = mapped_column(String(64), default=None)
    address: Mapped[str] = mapped_column(String(300), default="")
    cancel_reason: Mapped[str | None] = mapped_column(String(80), default=None)
    placed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    shipped_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    refunded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)

    lines: Mapped[list[OrderLine]] = relationship(
        order_by="OrderLine.id", lazy="selectin", cascade="all, delete-orphan"
    )
    payment: Mapped[Payment | None] = relationship(lazy="selectin")
    shipment: Mapped[Shipment | None] = relationship(lazy="selectin")

    __table_args__ = (
        UniqueConstraint("buyer_id", "idempotency_key"),
        Index("ix_orders_buyer_status", "buyer_id", "status"),
        Index("ix_orders_shop_status", "shop_id", "status"),
        Index("ix_orders_buyer_checkout", "buyer_id", "checkout_key"),
        CheckConstraint("total_fen > 0", name="total_positive"),
    )

    @property
    def total(self) -> Money:
        return Money(self.total_fen, self.currency)

    @property
    def product_ids(self) -> list[int]:
        return sorted({line.product_id for line in self.lines})


class OrderLine(Base):
    """What was bought, with the title, SKU name and price as they were at order time."""

    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    sku_name: Mapped[str] = mapped_column(String(80))
    quantity: Mapped[int] = mapped_column()
    unit_price_fen: Mapped[int] = mapped_column()
    content_id: Mapped[int | None] = mapped_column(default=None)

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_fen > 0", name="unit_price_positive"),
    )


class Payment(Base):
    """The one payment of an order. Idempotency keys are unique per buyer, like orders'."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    amount_fen: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    provider_reference: Mapped[str] = mapped_column(String(80))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default=PaymentStatus.CAPTURED)
    refunded_fen: Mapped[int] = mapped_column(default=0)
    paid_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("buyer_id", "idempotency_key"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint(
            "refunded_fen >= 0 AND refunded_fen <= amount_fen", name="refund_within_amount"
        ),
    )

    @property
    def amount(self) -> Money:
        return Money(self.amount_fen, self.currency)

    @property
    def refunded(self) -> Money:
        return Money(self.refunded_fen, self.currency)


class Shipment(Base):
    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    carrier: Mapped[str] = mapped_column(String(40))
    tracking_no: Mapped[str] = mapped_column(String(64))
    shipped_at: Mapped[datetime] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)

"""Trade tables: cart lines, orders and their lines, payments, shipments, tracking events,
product trade terms (shipping promise, return policy, guarantees) and compensation coupons.

`content_id` columns carry no foreign key: they name the content (video, livestream, post) that
led to a purchase, which belongs to the content context and is only ever reported, not joined.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from xingqu.shared.money import Money
from xingqu.store.base import Base, BigId, UtcDateTime
from xingqu.trade.deadlines import ReturnPolicy, ShipPromise
from xingqu.trade.rules import OrderStatus, PaymentStatus
from xingqu.trade.terms import InsuranceTier


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
    device_id: Mapped[str | None] = mapped_column(String(64), default=None)
    """The buyer's device as their client reported it at placement (X-Device-Id); optional."""
    cancel_reason: Mapped[str | None] = mapped_column(String(80), default=None)
    placed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    shipped_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    refunded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # fulfilment and guarantees, fixed when the order is placed (promises) or paid (deadline)
    ship_by: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    instant_refund: Mapped[bool] = mapped_column(Boolean, default=True)
    insurance_tier: Mapped[str] = mapped_column(String(12), default=InsuranceTier.NONE)
    completed_by: Mapped[str | None] = mapped_column(String(12), default=None)
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    merchant_fee_bp: Mapped[int | None] = mapped_column(default=None)  # fixed at settlement
    stock_released: Mapped[bool] = mapped_column(Boolean, default=False)
    """The order's units went back to stock (cancelled, or refunded in full before shipping)."""
    open_requests: Mapped[int] = mapped_column(default=0)
    """After-sales requests in progress on the order (kept by aftersales): while any is open the
    order is neither confirmed automatically nor settled."""

    lines: Mapped[list[OrderLine]] = relationship(
        order_by="OrderLine.id", lazy="selectin", cascade="all, delete-orphan"
    )
    payment: Mapped[Payment | None] = relationship(lazy="selectin")
    shipment: Mapped[Shipment | None] = relationship(lazy="selectin")

    __table_args__ = (
        UniqueConstraint("buyer_id", "idempotency_key"),
        Index("ix_orders_status_placed", "status", "placed_at"),
        Index("ix_orders_status_ship_by", "status", "ship_by"),
        Index("ix_orders_status_delivered", "status", "delivered_at"),
        Index("ix_orders_status_completed_settled", "status", "completed_at", "settled_at"),
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
    ship_promise: Mapped[str] = mapped_column(String(12), default=ShipPromise.WITHIN_HOURS)
    ship_within_hours: Mapped[int] = mapped_column(default=48)
    return_policy: Mapped[str] = mapped_column(String(12), default=ReturnPolicy.STANDARD)

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_fen > 0", name="unit_price_positive"),
    )

    @property
    def total_fen(self) -> int:
        return self.unit_price_fen * self.quantity


class Payment(Base):
    """The one payment of an order. Idempotency keys are unique per buyer, like orders'."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    amount_fen: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    provider_reference: Mapped[str] = mapped_column(String(80))
    instrument: Mapped[str | None] = mapped_column(String(80), default=None)
    """A fingerprint of the payment instrument, as the provider reported it."""
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


class TrackingEvent(Base):
    """A carrier's scan of an order's parcel (reported through an operator account)."""

    __tablename__ = "tracking_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    location: Mapped[str] = mapped_column(String(120), default="")
    note: Mapped[str] = mapped_column(String(200), default="")
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("order_id", "kind", "occurred_at"),)


class ProductTerms(Base):
    """What a merchant promises on a product: how fast it ships, whether no-reason returns apply,
    instant refunds before shipping, return-shipping insurance. Absent: the platform defaults."""

    __tablename__ = "product_terms"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    ship_promise: Mapped[str] = mapped_column(String(12), default=ShipPromise.WITHIN_HOURS)
    ship_within_hours: Mapped[int] = mapped_column(default=48)
    return_policy: Mapped[str] = mapped_column(String(12), default=ReturnPolicy.STANDARD)
    instant_refund: Mapped[bool] = mapped_column(Boolean, default=True)
    insurance_tier: Mapped[str] = mapped_column(String(12), default=InsuranceTier.NONE)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (CheckConstraint("ship_within_hours > 0", name="ship_within_positive"),)


class CompensationCoupon(Base):
    """A no-minimum coupon given to a buyer for a fulfilment failure, funded by the merchant.
    One per order and kind."""

    __tablename__ = "compensation_coupons"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    amount_fen: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("order_id", "kind"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
    )

"""After-sales tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from xingqu.aftersales.rules import RefundStatus
from xingqu.shared.money import Money
from xingqu.store.base import Base, BigId, UtcDateTime


class RefundRequest(Base):
    """A buyer's request for money back on an order. Idempotency keys are unique per buyer."""

    __tablename__ = "refund_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    amount_fen: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default=RefundStatus.REQUESTED)
    merchant_note: Mapped[str | None] = mapped_column(String(500), default=None)
    provider_reference: Mapped[str | None] = mapped_column(String(80), default=None)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    executed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)

    __table_args__ = (
        UniqueConstraint("buyer_id", "idempotency_key"),
        Index("ix_refund_requests_buyer_status", "buyer_id", "status"),
        Index("ix_refund_requests_shop_status", "shop_id", "status"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
    )

    @property
    def amount(self) -> Money:
        return Money(self.amount_fen, self.currency)

"""After-sales tables: requests (refund only, return and refund, exchange), return-shipping
insurance claims, and customer-service tickets with their messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from xingqu.aftersales.rules import RequestStatus, TicketStatus
from xingqu.shared.money import Money
from xingqu.store.base import Base, BigId, UtcDateTime


class AftersalesRequest(Base):
    """A buyer's after-sales request on an order. Idempotency keys are unique per buyer.

    `amount_fen` is what the buyer gets back: for an exchange, what is refunded if the merchant
    never sends the replacement. The deadline columns (`respond_by`, `return_by`, `receive_by`,
    `escalate_by`) are set when the request enters the state they guard; the timers read them.
    """

    __tablename__ = "aftersales_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    kind: Mapped[str] = mapped_column(String(16))
    reason_code: Mapped[str] = mapped_column(String(24))
    description: Mapped[str] = mapped_column(String(500), default="")
    amount_fen: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default=RequestStatus.REQUESTED)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    respond_by: Mapped[datetime] = mapped_column(UtcDateTime)
    # the decision (approval or rejection)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    decided_by: Mapped[str | None] = mapped_column(String(12), default=None)
    merchant_note: Mapped[str | None] = mapped_column(String(500), default=None)
    # the goods going back
    return_by: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    return_carrier: Mapped[str | None] = mapped_column(String(40), default=None)
    return_tracking_no: Mapped[str | None] = mapped_column(String(64), default=None)
    returned_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    receive_by: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # the escalation to the platform
    escalate_by: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    escalation_note: Mapped[str | None] = mapped_column(String(500), default=None)
    ruling: Mapped[str | None] = mapped_column(String(12), default=None)  # upheld | dismissed
    ruling_note: Mapped[str | None] = mapped_column(String(500), default=None)
    ruled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # the outcome
    provider_reference: Mapped[str | None] = mapped_column(String(80), default=None)
    executed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    exchange_carrier: Mapped[str | None] = mapped_column(String(40), default=None)
    exchange_tracking_no: Mapped[str | None] = mapped_column(String(64), default=None)
    exchanged_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    close_reason: Mapped[str | None] = mapped_column(String(40), default=None)

    __table_args__ = (
        UniqueConstraint("buyer_id", "idempotency_key"),
        Index("ix_aftersales_requests_buyer_status", "buyer_id", "status"),
        Index("ix_aftersales_requests_shop_status", "shop_id", "status"),
        Index("ix_aftersales_requests_status_respond_by", "status", "respond_by"),
        Index("ix_aftersales_requests_status_return_by", "status", "return_by"),
        Index("ix_aftersales_requests_status_receive_by", "status", "receive_by"),
        Index("ix_aftersales_requests_shop_requested", "shop_id", "requested_at"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
    )

    @property
    def amount(self) -> Money:
        return Money(self.amount_fen, self.currency)


class InsuranceClaim(Base):
    """A return-shipping insurance claim: what the buyer's return parcel cost, what was paid.
    One per order (and so per waybill)."""

    __tablename__ = "insurance_claims"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("aftersales_requests.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    tier: Mapped[str] = mapped_column(String(12))
    claimed_fen: Mapped[int] = mapped_column()
    paid_fen: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        CheckConstraint(
            "claimed_fen > 0 AND paid_fen > 0 AND paid_fen <= claimed_fen", name="paid"
        ),
    )


class Ticket(Base):
    """A customer-service conversation between a buyer and a shop, about an order or not."""

    __tablename__ = "service_tickets"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), default=None, index=True)
    subject: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(12), default=TicketStatus.OPEN)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    first_response_due: Mapped[datetime] = mapped_column(UtcDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    resolution_due: Mapped[datetime] = mapped_column(UtcDateTime)
    awaiting_shop: Mapped[bool] = mapped_column(Boolean, default=True)
    """The buyer spoke last: the shop owes an answer."""
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    escalated_by: Mapped[str | None] = mapped_column(String(12), default=None)  # buyer | timer
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    platform_note: Mapped[str | None] = mapped_column(String(500), default=None)

    messages: Mapped[list[TicketMessage]] = relationship(
        order_by="TicketMessage.id", lazy="selectin", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("buyer_id", "idempotency_key"),
        Index("ix_service_tickets_shop_status", "shop_id", "status"),
        Index("ix_service_tickets_buyer_status", "buyer_id", "status"),
        Index("ix_service_tickets_status_resolution_due", "status", "resolution_due"),
        Index("ix_service_tickets_shop_opened", "shop_id", "opened_at"),
    )


class TicketMessage(Base):
    __tablename__ = "service_ticket_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("service_tickets.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    side: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)

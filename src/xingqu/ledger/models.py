"""Ledger tables: entries, their lines, and payouts.

Order ids are carried without a foreign key: the ledger records money, it does not join orders.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from xingqu.store.base import Base, BigId, UtcDateTime


class LedgerEntry(Base):
    """One money movement. `reference` names its cause and is unique: nothing is booked twice."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(24))
    reference: Mapped[str] = mapped_column(String(120), unique=True)
    order_id: Mapped[int | None] = mapped_column(BigInteger, default=None, index=True)
    currency: Mapped[str] = mapped_column(String(3))
    memo: Mapped[str] = mapped_column(String(200), default="")
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)

    lines: Mapped[list[LedgerLine]] = relationship(
        order_by="LedgerLine.id", lazy="selectin", cascade="all, delete-orphan"
    )


class LedgerLine(Base):
    """A debit (amount > 0) or credit (amount < 0) on one account of one owner."""

    __tablename__ = "ledger_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    account: Mapped[str] = mapped_column(String(24))
    owner_id: Mapped[int] = mapped_column(BigInteger)
    order_id: Mapped[int | None] = mapped_column(BigInteger, default=None, index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        CheckConstraint("amount_fen <> 0", name="amount_not_zero"),
        Index("ix_ledger_lines_account_owner_time", "account", "owner_id", "occurred_at"),
    )


class Payout(Base):
    """Money paid out of a merchant's or creator's account (booked as a `payout` entry)."""

    __tablename__ = "payouts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(24))
    owner_id: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    paid_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)

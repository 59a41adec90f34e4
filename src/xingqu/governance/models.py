"""Governance tables: listing reviews (and the review queue), cases, sanctions, appeals, the
append-only audit log, merchant notices, rule-set re-scans, score snapshots and the daily history
of merchant experience scores."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Double, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from xingqu.store.base import Base, BigId, UtcDateTime


class ListingReview(Base):
    """One review of one version of a listing: on create, on edit, on a re-scan.

    `decision` is what review decided (approve, reject, review, watch); `queue_status` is set for
    the decisions a person must look at (`pending`, then `approved` / `rejected`, or `superseded`
    when a newer review of the same product replaced it)."""

    __tablename__ = "listing_reviews"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    trigger: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(12))
    codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    ruleset_version: Mapped[str] = mapped_column(String(40))
    model_version: Mapped[str | None] = mapped_column(String(40), default=None)
    queue_status: Mapped[str | None] = mapped_column(String(12), default=None)
    decided_by: Mapped[int | None] = mapped_column(default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    decision_note: Mapped[str | None] = mapped_column(String(500), default=None)
    decision_code: Mapped[str | None] = mapped_column(String(40), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_listing_reviews_product_id_desc", "product_id", "id"),
        Index("ix_listing_reviews_queue", "queue_status", "id"),
        Index("ix_listing_reviews_created", "created_at"),
    )


class Case(Base):
    """A suspected violation by a shop, with its evidence; operators confirm or dismiss it."""

    __tablename__ = "governance_cases"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    reason_code: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12))
    summary: Mapped[str] = mapped_column(String(500))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    product_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    dedupe_key: Mapped[str] = mapped_column(String(120))
    opened_by: Mapped[int] = mapped_column()
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by: Mapped[int | None] = mapped_column(default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    decision_note: Mapped[str | None] = mapped_column(String(500), default=None)

    __table_args__ = (
        UniqueConstraint("dedupe_key"),
        Index("ix_governance_cases_status_opened", "status", "opened_at"),
    )


class Sanction(Base):
    """A step of the sanctions ladder applied to a shop, and exactly what it changed
    (`changes`: the product and shop statuses before and after), so that reinstatement can
    restore what it removed and nothing else."""

    __tablename__ = "sanctions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("governance_cases.id"), index=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    level: Mapped[str] = mapped_column(String(20))
    points: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(10))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    appeal_until: Mapped[datetime] = mapped_column(UtcDateTime)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    restored: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    lifted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    lift_reason: Mapped[str | None] = mapped_column(String(40), default=None)

    __table_args__ = (Index("ix_sanctions_status_level", "status", "level"),)


class Appeal(Base):
    """A merchant's appeal of a sanction or of a listing decision, with its evidence."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(12))  # "sanction" or "listing"
    subject_id: Mapped[int] = mapped_column()
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    filed_by: Mapped[int] = mapped_column()
    statement: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10))
    filed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by: Mapped[int | None] = mapped_column(default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    decision_note: Mapped[str | None] = mapped_column(String(500), default=None)
    reason_code: Mapped[str | None] = mapped_column(String(40), default=None)

    __table_args__ = (
        Index("ix_appeals_subject", "subject", "subject_id"),
        Index("ix_appeals_status_filed", "status", "filed_at"),
    )


class AuditEntry(Base):
    """The append-only audit log: who decided what, when, why and on which evidence.

    Rows are only ever inserted (nothing in the code updates or deletes them); each carries the
    SHA-256 of the previous row's hash and its own content, so an edit or a deletion breaks the
    chain (`audit.verify_chain`)."""

    __tablename__ = "governance_audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_id: Mapped[int] = mapped_column()
    actor_roles: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column()
    shop_id: Mapped[int | None] = mapped_column(default=None)
    reason: Mapped[str] = mapped_column(String(500))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_governance_audit_subject", "subject_type", "subject_id"),
        Index("ix_governance_audit_shop", "shop_id", "id"),
    )


class MerchantNotice(Base):
    """A message to a shop's merchant (a take-down, a case, a sanction, a decision)."""

    __tablename__ = "merchant_notices"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    kind: Mapped[str] = mapped_column(String(30))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column()
    message: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_merchant_notices_shop", "shop_id", "id"),)


class RulesetScan(Base):
    """A re-scan of the live catalogue under one rule-set version."""

    __tablename__ = "ruleset_scans"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ruleset_version: Mapped[str] = mapped_column(String(40))
    started_by: Mapped[int] = mapped_column()
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    scanned: Mapped[int] = mapped_column(default=0)
    taken_down: Mapped[int] = mapped_column(default=0)
    queued: Mapped[int] = mapped_column(default=0)


class MerchantScore(Base):
    """The latest merchant experience score of a shop, with its breakdown."""

    __tablename__ = "merchant_scores"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), primary_key=True)
    score: Mapped[float] = mapped_column(Double)
    stage: Mapped[str] = mapped_column(String(10))
    breakdown: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MerchantScoreDay(Base):
    """A shop's experience score as a score run computed it on one day (UTC): one row per shop
    per day it was computed; a later run on the same day replaces that day's row."""

    __tablename__ = "merchant_score_history"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    score: Mapped[float] = mapped_column(Double)
    stage: Mapped[str] = mapped_column(String(10))
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CreatorReputation(Base):
    """The latest reputation score of a creator (5-point scale, floor 3), with its breakdown."""

    __tablename__ = "creator_reputations"

    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id"), primary_key=True)
    score: Mapped[float] = mapped_column(Double)
    breakdown: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime)

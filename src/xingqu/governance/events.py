"""What happened in governance (past tense)."""

from __future__ import annotations

from dataclasses import dataclass

from xingqu.shared.events import Event, register


@register
@dataclass(frozen=True, kw_only=True)
class ListingReviewed(Event):
    name = "governance.listing_reviewed"
    aggregate = "listing_review"
    review_id: int
    product_id: int
    shop_id: int
    trigger: str
    decision: str
    codes: list[str]
    ruleset_version: str


@register
@dataclass(frozen=True, kw_only=True)
class ListingDecided(Event):
    """An operator decided a queued listing review."""

    name = "governance.listing_decided"
    aggregate = "listing_review"
    review_id: int
    product_id: int
    shop_id: int
    approved: bool
    operator_id: int


@register
@dataclass(frozen=True, kw_only=True)
class ProductTakenDown(Event):
    name = "governance.product_taken_down"
    aggregate = "product"
    product_id: int
    shop_id: int
    codes: list[str]
    source: str  # rescan, review_queue, sanction


@register
@dataclass(frozen=True, kw_only=True)
class CaseOpened(Event):
    name = "governance.case_opened"
    aggregate = "case"
    case_id: int
    shop_id: int
    kind: str
    reason_code: str


@register
@dataclass(frozen=True, kw_only=True)
class CaseDecided(Event):
    name = "governance.case_decided"
    aggregate = "case"
    case_id: int
    shop_id: int
    confirmed: bool
    operator_id: int


@register
@dataclass(frozen=True, kw_only=True)
class SanctionApplied(Event):
    name = "governance.sanction_applied"
    aggregate = "sanction"
    sanction_id: int
    shop_id: int
    case_id: int
    level: str
    points: int


@register
@dataclass(frozen=True, kw_only=True)
class SanctionLifted(Event):
    name = "governance.sanction_lifted"
    aggregate = "sanction"
    sanction_id: int
    shop_id: int
    reason: str  # expired, appeal_upheld


@register
@dataclass(frozen=True, kw_only=True)
class AppealFiled(Event):
    name = "governance.appeal_filed"
    aggregate = "appeal"
    appeal_id: int
    shop_id: int
    subject: str
    subject_id: int


@register
@dataclass(frozen=True, kw_only=True)
class AppealDecided(Event):
    name = "governance.appeal_decided"
    aggregate = "appeal"
    appeal_id: int
    shop_id: int
    upheld: bool
    operator_id: int

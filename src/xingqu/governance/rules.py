"""Pure governance rules: the sanctions ladder, violation points, appeal windows. No I/O.

The ladder (warning → traffic limit → product ban → selling suspension → shop closure) is climbed
by violation points: a confirmed case adds points by its severity, and the level is chosen by the
shop's points over the last 365 days (revoked sanctions no longer count). The points and levels
are this project's; the platform's own thresholds were not published (see the governance
reference), the shape (general and serious points, a 7-day appeal) is the platform's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from xingqu.governance.errors import GovernanceError
from xingqu.shared.errors import conflict, invalid

APPEAL_WINDOW = timedelta(days=7)
POINTS_WINDOW = timedelta(days=365)
MAX_NOTE = 500
MAX_STATEMENT = 4000
MAX_EVIDENCE_ITEMS = 20
MAX_EVIDENCE_ITEM = 500
REASON_CODE = re.compile(r"^[a-z][a-z_]*(\.[a-z_]+)+$")


class SanctionLevel(StrEnum):
    WARNING = "warning"
    TRAFFIC_LIMIT = "traffic_limit"
    PRODUCT_BAN = "product_ban"
    SELLING_SUSPENSION = "selling_suspension"
    SHOP_CLOSURE = "shop_closure"


class SanctionStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"  # an appeal was upheld


class CaseStatus(StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


class AppealStatus(StrEnum):
    PENDING = "pending"
    UPHELD = "upheld"  # the merchant was right: the decision is reversed
    REJECTED = "rejected"


class AppealSubject(StrEnum):
    SANCTION = "sanction"
    LISTING = "listing"


POINTS = {"low": 2, "medium": 4, "high": 12, "critical": 24}
"""Violation points a confirmed case adds, by severity."""

LADDER: list[tuple[int, SanctionLevel]] = [
    (48, SanctionLevel.SHOP_CLOSURE),
    (24, SanctionLevel.SELLING_SUSPENSION),
    (12, SanctionLevel.PRODUCT_BAN),
    (4, SanctionLevel.TRAFFIC_LIMIT),
    (0, SanctionLevel.WARNING),
]

DURATIONS: dict[SanctionLevel, timedelta | None] = {
    SanctionLevel.WARNING: timedelta(0),
    SanctionLevel.TRAFFIC_LIMIT: timedelta(days=7),
    SanctionLevel.PRODUCT_BAN: None,  # until an appeal is upheld
    SanctionLevel.SELLING_SUSPENSION: timedelta(days=14),
    SanctionLevel.SHOP_CLOSURE: None,
}


def points_for(severity: str) -> int:
    try:
        return POINTS[severity]
    except KeyError:
        raise invalid(
            GovernanceError.INVALID_REASON, f"unknown severity {severity!r}; use {sorted(POINTS)}"
        ) from None


def level_for(total_points: int) -> SanctionLevel:
    """The ladder step for a shop holding `total_points` (this case's included)."""
    for threshold, level in LADDER:
        if total_points >= threshold:
            return level
    return SanctionLevel.WARNING


@dataclass(frozen=True, slots=True)
class SanctionPlan:
    level: SanctionLevel
    points: int
    starts_at: datetime
    ends_at: datetime | None
    appeal_until: datetime


def plan_sanction(
    severity: str, points_held: int, now: datetime, *, has_products: bool
) -> SanctionPlan:
    """What a confirmed case of `severity` does to a shop that holds `points_held` points.

    A product ban needs products to ban; a case without any (fake orders found by a detector
    that named none) takes the step above it."""
    points = points_for(severity)
    level = level_for(points_held + points)
    if level == SanctionLevel.PRODUCT_BAN and not has_products:
        level = SanctionLevel.SELLING_SUSPENSION
    duration = DURATIONS[level]
    ends_at = now + duration if duration is not None else None
    return SanctionPlan(level, points, now, ends_at, now + APPEAL_WINDOW)


def check_appeal_window(appeal_until: datetime, now: datetime) -> None:
    if now > appeal_until:
        raise conflict(
            GovernanceError.APPEAL_WINDOW_CLOSED,
            f"the appeal window closed at {appeal_until.isoformat()}",
            appeal_until=appeal_until.isoformat(),
        )


def validate_note(note: str) -> str:
    note = (note or "").strip()
    if not note or len(note) > MAX_NOTE:
        raise invalid(GovernanceError.INVALID_TEXT, f"a note is 1–{MAX_NOTE} characters")
    return note


def validate_reason_code(code: str) -> str:
    if not isinstance(code, str) or not REASON_CODE.match(code):
        raise invalid(
            GovernanceError.INVALID_REASON,
            f"a reason code looks like 'ad.absolute_term', got {code!r}",
        )
    return code


def validate_statement(statement: str, evidence: list[str]) -> tuple[str, list[str]]:
    statement = (statement or "").strip()
    if not statement or len(statement) > MAX_STATEMENT:
        raise invalid(
            GovernanceError.INVALID_TEXT, f"an appeal statement is 1–{MAX_STATEMENT} characters"
        )
    if len(evidence) > MAX_EVIDENCE_ITEMS or any(
        not isinstance(item, str) or not item.strip() or len(item) > MAX_EVIDENCE_ITEM
        for item in evidence
    ):
        raise invalid(
            GovernanceError.INVALID_TEXT,
            f"evidence is at most {MAX_EVIDENCE_ITEMS} items of 1–{MAX_EVIDENCE_ITEM} characters",
        )
    return statement, [item.strip() for item in evidence]

from enum import StrEnum


class GovernanceError(StrEnum):
    REVIEW_NOT_FOUND = "governance.review_not_found"
    REVIEW_NOT_PENDING = "governance.review_not_pending"
    REVIEW_STALE = "governance.review_stale"
    LISTING_NOT_APPROVED = "governance.listing_not_approved"
    CASE_NOT_FOUND = "governance.case_not_found"
    CASE_NOT_OPEN = "governance.case_not_open"
    SANCTION_NOT_FOUND = "governance.sanction_not_found"
    SANCTION_NOT_ACTIVE = "governance.sanction_not_active"
    APPEAL_NOT_FOUND = "governance.appeal_not_found"
    APPEAL_NOT_PENDING = "governance.appeal_not_pending"
    APPEAL_WINDOW_CLOSED = "governance.appeal_window_closed"
    APPEAL_EXISTS = "governance.appeal_exists"
    INVALID_TEXT = "governance.invalid_text"
    INVALID_REASON = "governance.invalid_reason"
    INVALID_FILTER = "governance.invalid_filter"
    INVALID_PERIOD = "governance.invalid_period"
    SHOP_NOT_FOUND = "governance.shop_not_found"

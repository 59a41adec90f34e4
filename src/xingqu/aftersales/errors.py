from enum import StrEnum


class AftersalesError(StrEnum):
    REQUEST_NOT_FOUND = "aftersales.request_not_found"
    INVALID_REQUEST = "aftersales.invalid_request"
    REFUND_EXCEEDS_PAID = "aftersales.refund_exceeds_paid"
    INVALID_REFUND = "aftersales.invalid_refund"
    INVALID_IDEMPOTENCY_KEY = "aftersales.invalid_idempotency_key"
    IDEMPOTENCY_KEY_REUSED = "aftersales.idempotency_key_reused"
    ORDER_NOT_REFUNDABLE = "aftersales.order_not_refundable"
    INVALID_TRANSITION = "aftersales.invalid_transition"
    INVALID_FILTER = "aftersales.invalid_filter"
    NOT_SHIPPED = "aftersales.not_shipped"
    WINDOW_CLOSED = "aftersales.window_closed"
    NOT_RETURNABLE = "aftersales.not_returnable"
    ESCALATION_CLOSED = "aftersales.escalation_closed"
    NOT_INSURED = "aftersales.not_insured"
    CLAIM_NOT_ALLOWED = "aftersales.claim_not_allowed"
    TICKET_NOT_FOUND = "aftersales.ticket_not_found"

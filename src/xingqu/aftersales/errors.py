from enum import StrEnum


class AftersalesError(StrEnum):
    REFUND_NOT_FOUND = "aftersales.refund_not_found"
    REFUND_EXCEEDS_PAID = "aftersales.refund_exceeds_paid"
    INVALID_REFUND = "aftersales.invalid_refund"
    INVALID_IDEMPOTENCY_KEY = "aftersales.invalid_idempotency_key"
    IDEMPOTENCY_KEY_REUSED = "aftersales.idempotency_key_reused"
    ORDER_NOT_REFUNDABLE = "aftersales.order_not_refundable"
    INVALID_TRANSITION = "aftersales.invalid_transition"
    INVALID_FILTER = "aftersales.invalid_filter"

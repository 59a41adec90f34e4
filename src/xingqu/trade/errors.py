from enum import StrEnum


class TradeError(StrEnum):
    PAYMENT_FAILED = "trade.payment_failed"
    INVALID_PAYMENT = "trade.invalid_payment"
    ORDER_NOT_FOUND = "trade.order_not_found"
    INVALID_TRANSITION = "trade.invalid_transition"
    INVALID_ORDER = "trade.invalid_order"
    INVALID_QUANTITY = "trade.invalid_quantity"
    INVALID_IDEMPOTENCY_KEY = "trade.invalid_idempotency_key"
    IDEMPOTENCY_KEY_REUSED = "trade.idempotency_key_reused"
    MIXED_SHOPS = "trade.mixed_shops"
    CART_EMPTY = "trade.cart_empty"
    CART_LINE_NOT_FOUND = "trade.cart_line_not_found"
    CANCEL_NOT_ALLOWED = "trade.cancel_not_allowed"
    NOT_PAID = "trade.not_paid"
    INVALID_REFUND = "trade.invalid_refund"
    REFUND_EXCEEDS_PAID = "trade.refund_exceeds_paid"
    INVALID_SHIPMENT = "trade.invalid_shipment"
    INVALID_FILTER = "trade.invalid_filter"
    INVALID_TERMS = "trade.invalid_terms"
    INVALID_TRACKING = "trade.invalid_tracking"
    NOT_SETTLEABLE = "trade.not_settleable"

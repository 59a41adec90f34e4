from enum import StrEnum


class TradeError(StrEnum):
    PAYMENT_FAILED = "trade.payment_failed"

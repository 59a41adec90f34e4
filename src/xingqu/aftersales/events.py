"""What happened in after-sales. Names and payload fields are a contract other contexts read."""

from __future__ import annotations

from dataclasses import dataclass

from xingqu.shared.events import Event, register


@register
@dataclass(frozen=True, kw_only=True)
class RefundRequested(Event):
    name = "aftersales.refund_requested"
    aggregate = "refund"
    refund_id: int
    order_id: int
    buyer_id: int
    amount_fen: int


@register
@dataclass(frozen=True, kw_only=True)
class RefundExecuted(Event):
    name = "aftersales.refund_executed"
    aggregate = "refund"
    refund_id: int
    order_id: int
    buyer_id: int
    amount_fen: int
    product_ids: list[int]


@register
@dataclass(frozen=True, kw_only=True)
class RefundRejected(Event):
    name = "aftersales.refund_rejected"
    aggregate = "refund"
    refund_id: int
    order_id: int

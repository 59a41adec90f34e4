"""What happened in after-sales. Names and payload fields are a contract other contexts read.

`aftersales.refund_executed` keeps the keys discovery reads (`buyer_id`, `product_ids`);
`refund_id` is the after-sales request's id.
"""

from __future__ import annotations

from dataclasses import dataclass

from xingqu.shared.events import Event, register


@register
@dataclass(frozen=True, kw_only=True)
class RequestOpened(Event):
    name = "aftersales.request_opened"
    aggregate = "aftersales_request"
    request_id: int
    order_id: int
    buyer_id: int
    shop_id: int
    kind: str
    reason_code: str
    amount_fen: int


@register
@dataclass(frozen=True, kw_only=True)
class RequestApproved(Event):
    """`decided_by`: merchant, platform, timer or instant."""

    name = "aftersales.request_approved"
    aggregate = "aftersales_request"
    request_id: int
    order_id: int
    decided_by: str


@register
@dataclass(frozen=True, kw_only=True)
class RequestRejected(Event):
    name = "aftersales.request_rejected"
    aggregate = "aftersales_request"
    request_id: int
    order_id: int
    decided_by: str


@register
@dataclass(frozen=True, kw_only=True)
class RefundExecuted(Event):
    name = "aftersales.refund_executed"
    aggregate = "aftersales_request"
    refund_id: int
    order_id: int
    buyer_id: int
    amount_fen: int
    product_ids: list[int]
    kind: str
    reason_code: str


@register
@dataclass(frozen=True, kw_only=True)
class ReturnShipped(Event):
    name = "aftersales.return_shipped"
    aggregate = "aftersales_request"
    request_id: int
    order_id: int
    carrier: str
    tracking_no: str


@register
@dataclass(frozen=True, kw_only=True)
class ExchangeShipped(Event):
    name = "aftersales.exchange_shipped"
    aggregate = "aftersales_request"
    request_id: int
    order_id: int
    carrier: str
    tracking_no: str


@register
@dataclass(frozen=True, kw_only=True)
class RequestEscalated(Event):
    name = "aftersales.request_escalated"
    aggregate = "aftersales_request"
    request_id: int
    order_id: int
    shop_id: int


@register
@dataclass(frozen=True, kw_only=True)
class EscalationRuled(Event):
    """`ruling`: upheld (the buyer wins) or dismissed (the rejection stands)."""

    name = "aftersales.escalation_ruled"
    aggregate = "aftersales_request"
    request_id: int
    order_id: int
    shop_id: int
    ruling: str


@register
@dataclass(frozen=True, kw_only=True)
class RequestClosed(Event):
    """`reason`: withdrawn, not_returned (the goods never went back), nothing_to_refund."""

    name = "aftersales.request_closed"
    aggregate = "aftersales_request"
    request_id: int
    order_id: int
    reason: str


@register
@dataclass(frozen=True, kw_only=True)
class InsuranceClaimPaid(Event):
    name = "aftersales.insurance_claim_paid"
    aggregate = "order"
    order_id: int
    request_id: int
    buyer_id: int
    tier: str
    paid_fen: int


@register
@dataclass(frozen=True, kw_only=True)
class TicketOpened(Event):
    name = "aftersales.ticket_opened"
    aggregate = "ticket"
    ticket_id: int
    buyer_id: int
    shop_id: int
    order_id: int | None


@register
@dataclass(frozen=True, kw_only=True)
class TicketMessagePosted(Event):
    name = "aftersales.ticket_message_posted"
    aggregate = "ticket"
    ticket_id: int
    side: str


@register
@dataclass(frozen=True, kw_only=True)
class TicketResolved(Event):
    name = "aftersales.ticket_resolved"
    aggregate = "ticket"
    ticket_id: int
    shop_id: int


@register
@dataclass(frozen=True, kw_only=True)
class TicketEscalated(Event):
    """`by`: buyer, or timer (unresolved past its deadline)."""

    name = "aftersales.ticket_escalated"
    aggregate = "ticket"
    ticket_id: int
    shop_id: int
    by: str


@register
@dataclass(frozen=True, kw_only=True)
class TicketClosed(Event):
    name = "aftersales.ticket_closed"
    aggregate = "ticket"
    ticket_id: int
    shop_id: int

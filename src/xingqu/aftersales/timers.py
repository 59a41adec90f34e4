"""The after-sales timers `xingqu worker` runs (the same contract as `trade.timers`: find what is
due, handle each item in its own transaction after checking again under lock; a second run
changes nothing).

- `approve_unanswered`: a request the merchant left unanswered past `respond_by` is approved
  (a refund-only request is paid).
- `close_unreturned`: an approved return or exchange whose goods were not sent back by
  `return_by` is closed.
- `refund_unreceived`: a returned parcel the merchant has not confirmed by `receive_by` is
  refunded.
- `escalate_stale_tickets`: a ticket still open past its resolution deadline goes to the
  platform.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from xingqu.aftersales.lifecycle import Locked, approve, close, execute_refund, locked, sync_open
from xingqu.aftersales.models import AftersalesRequest, Ticket
from xingqu.aftersales.rules import Decider, RequestStatus, TicketStatus
from xingqu.aftersales.tickets import escalate, locked_ticket
from xingqu.store.uow import UnitOfWork
from xingqu.trade.deadlines import passed
from xingqu.trade.timers import TimerJob, TimerRun, due_ids, each_due


def approve_unanswered(run: TimerRun) -> int:
    def act(uow: UnitOfWork, held: Locked, now: datetime) -> bool:
        request = held.request
        if request.status != RequestStatus.REQUESTED or not passed(request.respond_by, now):
            return False
        approve(uow, held, Decider.TIMER, run.payments, run.terms)
        return True

    return _each(run, AftersalesRequest.respond_by, RequestStatus.REQUESTED, act)


def close_unreturned(run: TimerRun) -> int:
    def act(uow: UnitOfWork, held: Locked, now: datetime) -> bool:
        request = held.request
        if request.status != RequestStatus.APPROVED or not _passed(request.return_by, now):
            return False
        close(uow, request, "not_returned")
        return True

    return _each(run, AftersalesRequest.return_by, RequestStatus.APPROVED, act)


def refund_unreceived(run: TimerRun) -> int:
    def act(uow: UnitOfWork, held: Locked, now: datetime) -> bool:
        request = held.request
        if request.status != RequestStatus.RETURNING or not _passed(request.receive_by, now):
            return False
        execute_refund(uow, held, run.payments)
        return True

    return _each(run, AftersalesRequest.receive_by, RequestStatus.RETURNING, act)


def escalate_stale_tickets(run: TimerRun) -> int:
    def act(uow: UnitOfWork, ticket_id: int, now: datetime) -> bool:
        ticket = locked_ticket(uow, ticket_id)
        if ticket.status != TicketStatus.OPEN or not passed(ticket.resolution_due, now):
            return False
        escalate(uow, ticket, "timer")
        return True

    ids = due_ids(
        run,
        lambda now: (
            select(Ticket.id)
            .where(Ticket.status == TicketStatus.OPEN, Ticket.resolution_due < now)
            .order_by(Ticket.id)
        ),
    )
    return each_due(run, ids, act)


JOBS: list[tuple[str, TimerJob]] = [
    ("aftersales.approve_unanswered", approve_unanswered),
    ("aftersales.close_unreturned", close_unreturned),
    ("aftersales.refund_unreceived", refund_unreceived),
    ("aftersales.escalate_stale_tickets", escalate_stale_tickets),
]


# --- internals --------------------------------------------------------------------------------


def _passed(deadline: datetime | None, now: datetime) -> bool:
    return deadline is not None and passed(deadline, now)


def _each(
    run: TimerRun,
    deadline: Any,
    status: RequestStatus,
    act: Callable[[UnitOfWork, Locked, datetime], bool],
) -> int:
    """Requests in `status` whose `deadline` column has passed, each acted on under lock; the
    order's count of open requests follows."""

    def on_request(uow: UnitOfWork, request_id: int, now: datetime) -> bool:
        held = locked(uow, request_id)
        if not act(uow, held, now):
            return False
        sync_open(uow, held.request.order_id)
        return True

    ids = due_ids(
        run,
        lambda now: (
            select(AftersalesRequest.id)
            .where(AftersalesRequest.status == status, deadline < now)
            .order_by(AftersalesRequest.id)
        ),
    )
    return each_due(run, ids, on_request)

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
from xingqu.trade.timers import BATCH, TimerJob, TimerRun


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
        if (
            request.status != RequestStatus.APPROVED
            or request.return_by is None
            or not passed(request.return_by, now)
        ):
            return False
        close(uow, request, "not_returned")
        return True

    return _each(run, AftersalesRequest.return_by, RequestStatus.APPROVED, act)


def refund_unreceived(run: TimerRun) -> int:
    def act(uow: UnitOfWork, held: Locked, now: datetime) -> bool:
        request = held.request
        if (
            request.status != RequestStatus.RETURNING
            or request.receive_by is None
            or not passed(request.receive_by, now)
        ):
            return False
        execute_refund(uow, held, run.payments)
        return True

    return _each(run, AftersalesRequest.receive_by, RequestStatus.RETURNING, act)


def escalate_stale_tickets(run: TimerRun) -> int:
    with run.uows(readonly=True) as uow:
        now = uow.clock.now()
        ids = list(
            uow.session.scalars(
                select(Ticket.id)
                .where(Ticket.status == TicketStatus.OPEN, Ticket.resolution_due < now)
                .order_by(Ticket.id)
                .limit(BATCH)
            )
        )
    done = 0
    for ticket_id in ids:
        with run.uows() as uow:
            ticket = locked_ticket(uow, ticket_id)
            if ticket.status != TicketStatus.OPEN or not passed(
                ticket.resolution_due, uow.clock.now()
            ):
                continue
            escalate(uow, ticket, "timer")
            uow.commit()
            done += 1
    return done


JOBS: list[tuple[str, TimerJob]] = [
    ("aftersales.approve_unanswered", approve_unanswered),
    ("aftersales.close_unreturned", close_unreturned),
    ("aftersales.refund_unreceived", refund_unreceived),
    ("aftersales.escalate_stale_tickets", escalate_stale_tickets),
]


# --- internals --------------------------------------------------------------------------------


def _each(
    run: TimerRun,
    deadline: Any,
    status: RequestStatus,
    act: Callable[[UnitOfWork, Locked, datetime], bool],
) -> int:
    with run.uows(readonly=True) as uow:
        now = uow.clock.now()
        ids = list(
            uow.session.scalars(
                select(AftersalesRequest.id)
                .where(AftersalesRequest.status == status, deadline < now)
                .order_by(AftersalesRequest.id)
                .limit(BATCH)
            )
        )
    done = 0
    for request_id in ids:
        with run.uows() as uow:
            held = locked(uow, request_id)
            if not act(uow, held, uow.clock.now()):
                continue
            sync_open(uow, held.request.order_id)
            uow.commit()
            done += 1
    return done

"""After-sales read side.

For actors: a missing request is `aftersales.request_not_found`, a missing ticket
`aftersales.ticket_not_found`, someone else's `shared.forbidden`. Buyers read their own, merchants
their shops', operators all.

Facts for the platform's own jobs (participant calls, no access check, windows [since, until) in
UTC, `shop_ids=None` for every shop) — the merchant experience score reads these:

- `handling_times(...)`: per shop, after-sales requests opened in the window (instant refunds
  excluded): how many were decided, the total time from request to decision, how many the
  merchant decided within `Terms.merchant_response_hours` (the SLA), and how many are still
  waiting past their deadline. A request the timer approved failed the SLA.
- `quality_returns(...)`: per shop, orders whose *first* after-sales request was opened in the
  window with a quality reason (`rules.QUALITY_REASONS`).
- `first_responses(...)`: per shop, customer-service tickets opened in the window: how many were
  answered, the total time to the shop's first answer, how many within
  `Terms.ticket_first_response_hours`, and how many are unanswered past that goal.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select

from xingqu.aftersales.errors import AftersalesError
from xingqu.aftersales.models import AftersalesRequest, InsuranceClaim, Ticket
from xingqu.aftersales.rules import (
    OPEN_STATUSES,
    QUALITY_REASONS,
    Decider,
    TicketStatus,
    parse_status,
)
from xingqu.catalog import queries as catalog_queries
from xingqu.catalog import services as catalog
from xingqu.shared.access import Actor, Role
from xingqu.shared.errors import forbidden, invalid, not_found
from xingqu.shared.paging import Page, PageRequest
from xingqu.store.paging import fetch_page
from xingqu.store.uow import UnitOfWork
from xingqu.trade.deadlines import passed
from xingqu.trade.queries import check_window, for_shops


def get_request(uow: UnitOfWork, actor: Actor, request_id: int) -> AftersalesRequest:
    """The request, for its buyer, the shop's merchant or an operator."""
    with uow:
        request = uow.session.get(AftersalesRequest, request_id)
        if request is None:
            raise not_found(AftersalesError.REQUEST_NOT_FOUND, "after-sales request", request_id)
        _require_party(uow, actor, request.buyer_id, request.shop_id, "after-sales request")
        return request


def list_requests(
    uow: UnitOfWork,
    actor: Actor,
    page: PageRequest,
    *,
    as_merchant: bool = False,
    status: str | None = None,
    order_id: int | None = None,
) -> Page[AftersalesRequest]:
    """The actor's own requests, or with `as_merchant` those on the actor's shops; newest first.
    Operators with `as_merchant` see every shop's."""
    where: list[ColumnElement[bool]] = []
    if status is not None:
        where.append(AftersalesRequest.status == parse_status(status))
    if order_id is not None:
        where.append(AftersalesRequest.order_id == order_id)
    where.extend(_party_filter(uow, actor, as_merchant, AftersalesRequest))
    with uow:
        return fetch_page(
            uow.session, AftersalesRequest, where, [AftersalesRequest.id.desc()], page
        )


def get_ticket(uow: UnitOfWork, actor: Actor, ticket_id: int) -> Ticket:
    """The ticket with its messages, for its buyer, the shop's merchant or an operator."""
    with uow:
        ticket = uow.session.get(Ticket, ticket_id)
        if ticket is None:
            raise not_found(AftersalesError.TICKET_NOT_FOUND, "ticket", ticket_id)
        _require_party(uow, actor, ticket.buyer_id, ticket.shop_id, "ticket")
        return ticket


def list_tickets(
    uow: UnitOfWork,
    actor: Actor,
    page: PageRequest,
    *,
    as_merchant: bool = False,
    status: str | None = None,
) -> Page[Ticket]:
    where: list[ColumnElement[bool]] = []
    if status is not None:
        try:
            where.append(Ticket.status == TicketStatus(status))
        except ValueError:
            raise invalid(
                AftersalesError.INVALID_FILTER,
                f"unknown ticket status {status!r}; use one of {', '.join(TicketStatus)}",
            ) from None
    where.extend(_party_filter(uow, actor, as_merchant, Ticket))
    with uow:
        return fetch_page(uow.session, Ticket, where, [Ticket.id.desc()], page)


# --- participant reads for other contexts (settlement, the books' audit) -----------------------


def open_request_orders(uow: UnitOfWork, order_ids: Collection[int]) -> set[int]:
    """Those of `order_ids` with an after-sales request in progress."""
    uow.require_active()
    ids = sorted(set(order_ids))
    if not ids:
        return set()
    return set(
        uow.session.scalars(
            select(AftersalesRequest.order_id)
            .where(AftersalesRequest.order_id.in_(ids))
            .where(AftersalesRequest.status.in_(OPEN_STATUSES))
        )
    )


def insurance_paid(uow: UnitOfWork) -> dict[int, int]:
    """order id → return-shipping insurance paid on it."""
    uow.require_active()
    rows = uow.session.execute(select(InsuranceClaim.order_id, InsuranceClaim.paid_fen))
    return {order_id: int(paid) for order_id, paid in rows}


# --- facts for the merchant experience score (see the module docstring) ------------------------


@dataclass(frozen=True, slots=True)
class Handling:
    opened: int  # requests opened in the window (instant refunds excluded)
    decided: int  # of which decided (by the merchant, an operator or the timer)
    decided_seconds: int  # total time from request to decision over the decided ones
    within_sla: int  # decided by the merchant (or an operator) by the deadline
    overdue: int  # still undecided past the deadline

    @property
    def mean_hours(self) -> float | None:
        return self.decided_seconds / self.decided / 3600 if self.decided else None

    @property
    def sla_rate(self) -> float | None:
        due = self.decided + self.overdue
        return self.within_sla / due if due else None


def handling_times(
    uow: UnitOfWork,
    *,
    since: datetime,
    until: datetime,
    shop_ids: Collection[int] | None = None,
) -> dict[int, Handling]:
    uow.require_active()
    check_window(since, until, AftersalesError.INVALID_FILTER)
    now = uow.clock.now()
    query = select(
        AftersalesRequest.shop_id,
        AftersalesRequest.requested_at,
        AftersalesRequest.respond_by,
        AftersalesRequest.decided_at,
        AftersalesRequest.decided_by,
    ).where(
        AftersalesRequest.requested_at >= since,
        AftersalesRequest.requested_at < until,
        (AftersalesRequest.decided_by.is_(None))
        | (AftersalesRequest.decided_by != Decider.INSTANT),
    )
    query = for_shops(query, AftersalesRequest.shop_id, shop_ids)
    tallies: dict[int, list[int]] = {}
    for shop_id, requested_at, deadline, decided_at, decided_by in uow.session.execute(query):
        t = tallies.setdefault(shop_id, [0, 0, 0, 0, 0])
        t[0] += 1
        if decided_at is None:
            t[4] += int(passed(deadline, now))
            continue
        t[1] += 1
        t[2] += int((decided_at - requested_at).total_seconds())
        by_person = decided_by in (Decider.MERCHANT, Decider.PLATFORM)
        t[3] += int(by_person and decided_at <= deadline)
    return {shop: Handling(*t) for shop, t in sorted(tallies.items())}


def quality_returns(
    uow: UnitOfWork,
    *,
    since: datetime,
    until: datetime,
    shop_ids: Collection[int] | None = None,
) -> dict[int, int]:
    uow.require_active()
    check_window(since, until, AftersalesError.INVALID_FILTER)
    first = (
        select(
            AftersalesRequest.order_id,
            func.min(AftersalesRequest.id).label("first_id"),
        )
        .group_by(AftersalesRequest.order_id)
        .subquery()
    )
    query = (
        select(AftersalesRequest.shop_id, func.count())
        .join(first, first.c.first_id == AftersalesRequest.id)
        .where(
            AftersalesRequest.requested_at >= since,
            AftersalesRequest.requested_at < until,
            AftersalesRequest.reason_code.in_(sorted(QUALITY_REASONS)),
        )
        .group_by(AftersalesRequest.shop_id)
    )
    query = for_shops(query, AftersalesRequest.shop_id, shop_ids)
    return {shop: int(n) for shop, n in sorted(uow.session.execute(query).all())}


@dataclass(frozen=True, slots=True)
class Responses:
    opened: int  # tickets opened in the window
    answered: int  # of which the shop answered
    response_seconds: int  # total time to the first answer over the answered ones
    within_goal: int  # answered within the first-response goal
    overdue: int  # unanswered past the goal

    @property
    def mean_minutes(self) -> float | None:
        return self.response_seconds / self.answered / 60 if self.answered else None


def first_responses(
    uow: UnitOfWork,
    *,
    since: datetime,
    until: datetime,
    shop_ids: Collection[int] | None = None,
) -> dict[int, Responses]:
    uow.require_active()
    check_window(since, until, AftersalesError.INVALID_FILTER)
    now = uow.clock.now()
    query = select(
        Ticket.shop_id, Ticket.opened_at, Ticket.first_response_due, Ticket.first_response_at
    ).where(Ticket.opened_at >= since, Ticket.opened_at < until)
    query = for_shops(query, Ticket.shop_id, shop_ids)
    tallies: dict[int, list[int]] = {}
    for shop_id, opened_at, due, answered_at in uow.session.execute(query):
        t = tallies.setdefault(shop_id, [0, 0, 0, 0, 0])
        t[0] += 1
        if answered_at is None:
            t[4] += int(passed(due, now))
            continue
        t[1] += 1
        t[2] += int((answered_at - opened_at).total_seconds())
        t[3] += int(answered_at <= due)
    return {shop: Responses(*t) for shop, t in sorted(tallies.items())}


# --- internals --------------------------------------------------------------------------------


def _require_party(uow: UnitOfWork, actor: Actor, buyer_id: int, shop_id: int, what: str) -> None:
    if not (
        actor.is_operator or buyer_id == actor.user_id or catalog.owns_shop(uow, actor, shop_id)
    ):
        raise forbidden(f"this {what} is neither yours nor your shop's")


def _party_filter(
    uow: UnitOfWork,
    actor: Actor,
    as_merchant: bool,
    model: type[AftersalesRequest] | type[Ticket],
) -> list[ColumnElement[bool]]:
    if not as_merchant:
        return [model.buyer_id == actor.user_id]
    if actor.is_operator:
        return []
    actor.require(Role.MERCHANT)
    shop_ids = [shop.id for shop in catalog_queries.shops_of_user(uow, actor.user_id)]
    return [model.shop_id.in_(shop_ids)]

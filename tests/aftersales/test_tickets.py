"""Customer-service tickets: messages, first response, resolution, escalation and its timer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests import factories
from tests.factories import snapshot
from tests.trade import scenario
from tests.trade.scenario import key, listing
from xingqu.aftersales import queries, tickets
from xingqu.aftersales.errors import AftersalesError
from xingqu.bootstrap import Platform
from xingqu.shared.clock import ManualClock
from xingqu.shared.errors import DomainError, SharedError
from xingqu.shared.paging import PageRequest

SECOND = timedelta(seconds=1)


def _open(p: Platform, buyer, shop_id: int, order_id: int | None = None, k: str | None = None):  # type: ignore[no-untyped-def]
    cmd = tickets.OpenTicket(
        shop_id, "Where is my parcel?", "It has not moved.", k or key(), order_id
    )
    return tickets.open_ticket(p.uow(), buyer, cmd)


def test_a_ticket_records_the_shops_first_response_and_whose_turn_it_is(
    any_platform: Platform, clock: ManualClock
) -> None:
    p = any_platform
    item = listing(p)
    buyer = factories.consumer(p)
    order = scenario.paid(p, buyer, item)
    opened = _open(p, buyer, item.shop_id, order.id, "t1")
    assert _open(p, buyer, item.shop_id, order.id, "t1").id == opened.id  # a retry
    assert (opened.status, opened.awaiting_shop, opened.first_response_at) == ("open", True, None)
    assert opened.first_response_due == clock.now() + timedelta(hours=12)
    clock.advance(timedelta(minutes=20))
    answered = tickets.post_message(p.uow(), item.merchant, opened.id, "It ships today.")
    clock.advance(timedelta(minutes=5))
    tickets.post_message(p.uow(), buyer, opened.id, "Thanks")
    clock.advance(timedelta(minutes=5))
    again = tickets.post_message(p.uow(), item.merchant, opened.id, "You're welcome.")
    assert answered.first_response_at == opened.opened_at + timedelta(minutes=20)
    assert again.first_response_at == answered.first_response_at  # the first one counts
    assert [m.side for m in again.messages] == ["buyer", "merchant", "buyer", "merchant"]
    assert again.awaiting_shop is False
    resolved = tickets.resolve_ticket(p.uow(), buyer, opened.id)
    assert resolved.status == "resolved"
    before = snapshot(p)
    with pytest.raises(DomainError) as caught:
        tickets.post_message(p.uow(), buyer, opened.id, "one more thing")
    assert caught.value.code == AftersalesError.INVALID_TRANSITION
    assert snapshot(p) == before


def test_an_unresolved_ticket_goes_to_the_platform_one_second_after_its_deadline(
    any_platform: Platform, clock: ManualClock
) -> None:
    p = any_platform
    item = listing(p)
    buyer = factories.consumer(p)
    ticket = _open(p, buyer, item.shop_id)
    clock.set(ticket.resolution_due - SECOND)
    assert p.run_timers()["aftersales.escalate_stale_tickets"] == 0
    clock.set(ticket.resolution_due + SECOND)
    assert p.run_timers()["aftersales.escalate_stale_tickets"] == 1
    assert p.run_timers()["aftersales.escalate_stale_tickets"] == 0
    escalated = queries.get_ticket(p.uow(readonly=True), buyer, ticket.id)
    assert (escalated.status, escalated.escalated_by) == ("escalated", "timer")
    ops = factories.operator(p)
    tickets.post_message(p.uow(), ops, ticket.id, "We asked the carrier.")
    closed = tickets.close_ticket(p.uow(), ops, ticket.id, "parcel found")
    assert (closed.status, closed.platform_note) == ("closed", "parcel found")
    assert closed.first_response_at is None  # the platform's answer is not the shop's


def test_the_buyer_escalates_and_only_operators_close(platform: Platform) -> None:
    p = platform
    item = listing(p)
    buyer = factories.consumer(p)
    ticket = _open(p, buyer, item.shop_id)
    before = snapshot(p)
    with pytest.raises(DomainError) as merchant_escalates:
        tickets.escalate_ticket(p.uow(), item.merchant, ticket.id)
    with pytest.raises(DomainError) as merchant_closes:
        tickets.close_ticket(p.uow(), item.merchant, ticket.id, "done")
    assert merchant_escalates.value.code == merchant_closes.value.code == SharedError.FORBIDDEN
    assert snapshot(p) == before
    assert tickets.escalate_ticket(p.uow(), buyer, ticket.id).escalated_by == "buyer"


def test_strangers_neither_read_nor_write_and_orders_must_be_the_buyers_from_the_shop(
    platform: Platform,
) -> None:
    p = platform
    item, other = listing(p), listing(p)
    buyer, stranger = factories.consumer(p), factories.consumer(p)
    ticket = _open(p, buyer, item.shop_id)
    their_order = scenario.paid(p, stranger, item)
    other_shop_order = scenario.paid(p, buyer, other)
    before = snapshot(p)
    for attempt in (
        lambda: queries.get_ticket(p.uow(readonly=True), stranger, ticket.id),
        lambda: tickets.post_message(p.uow(), other.merchant, ticket.id, "hi"),
        lambda: _open(p, buyer, item.shop_id, their_order.id),
        lambda: _open(p, buyer, item.shop_id, other_shop_order.id),
        lambda: _open(p, buyer, 9_999),
    ):
        with pytest.raises(DomainError):
            attempt()
    assert snapshot(p) == before
    page = PageRequest()
    assert queries.list_tickets(p.uow(readonly=True), buyer, page).total == 1
    assert (
        queries.list_tickets(p.uow(readonly=True), item.merchant, page, as_merchant=True).total == 1
    )
    assert (
        queries.list_tickets(p.uow(readonly=True), other.merchant, page, as_merchant=True).total
        == 0
    )

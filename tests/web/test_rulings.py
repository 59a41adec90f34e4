"""The operator console's rulings on what buyers escalated: after-sales requests a shop rejected
and customer-service tickets; and the merchant overview's experience-score trend."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from pathlib import Path

from sqlalchemy import text

from tests.factories import snapshot
from tests.sim.tiny import tiny_settings
from tests.web.consoles import csrf, scalar, sign_in, site
from tests.web.test_accessibility import unlabelled
from xingqu.aftersales import services as aftersales
from xingqu.aftersales import tickets
from xingqu.bootstrap import Platform, build_platform
from xingqu.catalog import queries as catalog_queries
from xingqu.governance import queries as governance_queries
from xingqu.governance import scores
from xingqu.identity import services as identity
from xingqu.shared.access import Actor
from xingqu.shared.clock import ManualClock
from xingqu.shared.paging import PageRequest
from xingqu.sim.truth import SimTruth
from xingqu.trade import services as trade


def _people(platform: Platform, data_dir: Path) -> tuple[Actor, Actor, int]:
    """The demo consumer, the demo merchant and the merchant's shop."""
    truth = SimTruth.load(data_dir)
    consumer, merchant = (
        identity.get_user(platform.uow(readonly=True), truth.demo_accounts[role]).actor()
        for role in ("consumer", "merchant")
    )
    shop = next(m.shop_id for m in truth.merchants if m.user_id == merchant.user_id)
    return consumer, merchant, shop


def _score_chart(html: str, shop_id: int) -> str:
    """The inside of the shop's experience-score chart."""
    found = re.search(
        rf'<svg[^>]*aria-labelledby="chart_experience_score-{shop_id}-title[^>]*>(.*?)</svg>',
        html,
        re.S,
    )
    assert found, "no experience-score chart for the shop"
    return found.group(1)


def _escalated_request(platform: Platform, data_dir: Path) -> tuple[int, int]:
    """A shipped order of the demo consumer at the demo merchant's shop, a refund the shop
    rejected and the buyer escalated: (request id, amount in fen)."""
    buyer, merchant, shop = _people(platform, data_dir)
    page = catalog_queries.list_products(
        platform.uow(readonly=True), PageRequest(100), shop_id=shop
    )
    sku = next(p.skus[0] for p in page.items if p.skus[0].stock > 0)
    order = trade.place_order(
        platform.uow(), buyer, trade.PlaceOrder([trade.OrderLineSpec(sku.id, 1)], "k-ruling")
    )
    trade.pay_order(platform.uow(), buyer, order.id, "p-ruling", payments=platform.payments)
    trade.ship_order(platform.uow(), merchant, order.id, "SF Express", "SF0042")
    request = aftersales.open_request(
        platform.uow(),
        buyer,
        aftersales.OpenRequest(order.id, "refund_only", "quality", sku.price_fen, "r-ruling"),
        payments=platform.payments,
    )
    aftersales.reject_request(platform.uow(), merchant, request.id, "the parcel left intact")
    aftersales.escalate_request(platform.uow(), buyer, request.id, "it arrived broken")
    return request.id, sku.price_fen


def _refunded(platform: Platform, request_id: int) -> object:
    """What the payment of the request's order has refunded."""
    return scalar(
        platform,
        "SELECT p.refunded_fen FROM payments p JOIN aftersales_requests r"
        " ON r.order_id = p.order_id WHERE r.id = :i",
        i=request_id,
    )


def _escalated_ticket(platform: Platform, data_dir: Path) -> int:
    buyer, _, shop = _people(platform, data_dir)
    ticket = tickets.open_ticket(
        platform.uow(), buyer, tickets.OpenTicket(shop, "Wrong colour", "I got red", "t-ops")
    )
    tickets.escalate_ticket(platform.uow(), buyer, ticket.id)
    return ticket.id


def test_an_operator_upholds_an_escalated_request_and_the_buyer_is_refunded(
    tiny_world: Path,
) -> None:
    with site(tiny_world) as (client, platform):
        # given an escalated request, and an operator on the rulings page
        request_id, amount = _escalated_request(platform, tiny_world)
        sign_in(client, tiny_world, "operator")
        page = client.get("/ops/aftersales")
        assert page.status_code == 200
        assert f"#{request_id}" in page.text
        assert "the parcel left intact" in page.text and "it arrived broken" in page.text
        assert unlabelled(page.text) == []
        # when they rule for the buyer
        ruled = client.post(
            f"/ops/aftersales/{request_id}/ruling",
            data={"csrf_token": csrf(page.text), "decision": "uphold", "note": "photos show it"},
        )
        # then the request is refunded, the ruling recorded and the queue empty again
        assert ruled.status_code == 200
        assert "Ruled for the buyer" in ruled.text and f"#{request_id}" not in ruled.text
        with platform.engine.connect() as conn:
            row = conn.execute(
                text("SELECT status, ruling, ruling_note FROM aftersales_requests WHERE id = :i"),
                {"i": request_id},
            ).one()
        assert tuple(row) == ("executed", "upheld", "photos show it")
        assert _refunded(platform, request_id) == amount


def test_dismissing_an_escalation_lets_the_rejection_stand_and_refunds_nothing(
    tiny_world: Path,
) -> None:
    with site(tiny_world) as (client, platform):
        request_id, _ = _escalated_request(platform, tiny_world)
        sign_in(client, tiny_world, "operator")
        token = csrf(client.get("/ops/aftersales?lang=zh").text)
        ruled = client.post(
            f"/ops/aftersales/{request_id}/ruling",
            data={"csrf_token": token, "decision": "dismiss", "note": "no evidence"},
        )
        assert ruled.status_code == 200 and "已裁定：维持商家的拒绝。" in ruled.text
        assert (
            scalar(platform, "SELECT status FROM aftersales_requests WHERE id = :i", i=request_id)
            == "rejected"
        )
        assert _refunded(platform, request_id) == 0


def test_a_ruling_without_a_note_or_from_a_merchant_is_refused_and_changes_nothing(
    tiny_world: Path,
) -> None:
    with site(tiny_world) as (client, platform):
        # given an escalated request
        request_id, _ = _escalated_request(platform, tiny_world)
        sign_in(client, tiny_world, "operator")
        token = csrf(client.get("/ops/aftersales").text)
        before = snapshot(platform)
        # when an operator forgets the reason, and a merchant tries to rule
        unexplained = client.post(
            f"/ops/aftersales/{request_id}/ruling",
            data={"csrf_token": token, "decision": "uphold", "note": ""},
        )
        sign_in(client, tiny_world, "merchant")
        merchant_token = csrf(client.get("/merchant").text)
        after_sign_in = snapshot(platform)
        by_merchant = client.post(
            f"/ops/aftersales/{request_id}/ruling",
            data={"csrf_token": merchant_token, "decision": "uphold", "note": "mine"},
        )
        listing = client.get("/ops/aftersales")
        # then both are refused; the request is still waiting for the platform
        assert unexplained.status_code == 422
        assert by_merchant.status_code == 403 and listing.status_code == 403
        assert snapshot(platform) == after_sign_in
        assert after_sign_in["aftersales_requests"] == before["aftersales_requests"]
        assert (
            scalar(platform, "SELECT status FROM aftersales_requests WHERE id = :i", i=request_id)
            == "escalated"
        )


def test_an_operator_answers_an_escalated_ticket_and_closes_it(tiny_world: Path) -> None:
    with site(tiny_world) as (client, platform):
        # given a ticket the buyer escalated
        ticket_id = _escalated_ticket(platform, tiny_world)
        sign_in(client, tiny_world, "operator")
        queue = client.get("/ops/tickets")
        assert queue.status_code == 200 and f'href="/ops/tickets/{ticket_id}"' in queue.text
        assert "Wrong colour" in queue.text and "by the buyer" in queue.text
        # when the operator writes in the conversation, then closes it with an answer
        page = client.get(f"/ops/tickets/{ticket_id}")
        assert "I got red" in page.text and unlabelled(page.text) == []
        sent = client.post(
            f"/ops/tickets/{ticket_id}/messages",
            data={"csrf_token": csrf(page.text), "body": "The shop will send blue."},
        )
        assert sent.status_code == 200 and "The shop will send blue." in sent.text
        closed = client.post(
            f"/ops/tickets/{ticket_id}/close",
            data={"csrf_token": csrf(sent.text), "note": "replacement agreed"},
        )
        # then the ticket is closed with the platform's answer and off the queue
        assert closed.status_code == 200 and "Ticket closed" in closed.text
        assert f'href="/ops/tickets/{ticket_id}"' not in closed.text
        with platform.engine.connect() as conn:
            row = conn.execute(
                text("SELECT status, platform_note FROM service_tickets WHERE id = :i"),
                {"i": ticket_id},
            ).one()
            sides = conn.execute(
                text("SELECT side FROM service_ticket_messages WHERE ticket_id = :i ORDER BY id"),
                {"i": ticket_id},
            ).scalars()
            assert tuple(row) == ("closed", "replacement agreed")
            assert list(sides) == ["buyer", "platform"]
        page = client.get(f"/ops/tickets/{ticket_id}")
        assert "replacement agreed" in page.text and 'name="body"' not in page.text


def test_only_operators_open_the_escalated_tickets_and_nothing_changes(tiny_world: Path) -> None:
    with site(tiny_world) as (client, platform):
        ticket_id = _escalated_ticket(platform, tiny_world)
        sign_in(client, tiny_world, "merchant")
        token = csrf(client.get("/merchant").text)
        before = snapshot(platform)
        pages = [client.get(p) for p in ("/ops/tickets", f"/ops/tickets/{ticket_id}")]
        closed = client.post(
            f"/ops/tickets/{ticket_id}/close", data={"csrf_token": token, "note": "done"}
        )
        assert [a.status_code for a in (*pages, closed)] == [403, 403, 403]
        assert snapshot(platform) == before


def test_the_merchant_overview_charts_the_experience_score_by_day(tiny_world: Path) -> None:
    with site(tiny_world) as (client, platform):
        # given the demo merchant's shop scored yesterday (on a platform whose clock says so)
        # and today
        _, _, shop = _people(platform, tiny_world)
        now = platform.clock.now()
        yesterday = build_platform(
            tiny_settings(tiny_world), clock=ManualClock(now - timedelta(days=1)),
            migrate_schema=False,
        )  # fmt: skip
        scores.recompute_scores(yesterday.uow, shop_ids=[shop])
        yesterday.close()
        scores.recompute_scores(platform.uow, shop_ids=[shop])
        with platform.uow(readonly=True) as uow:
            score = governance_queries.merchant_scores(uow, [shop])[shop].score
        # when the merchant opens the overview
        sign_in(client, tiny_world, "merchant")
        page = client.get("/merchant?lang=en")
        # then the shop's score chart has a point on each of the two days, on a 0-100 axis
        assert page.status_code == 200
        chart = _score_chart(page.text, shop)
        days = [(now - timedelta(days=n)).astimezone(UTC).date().isoformat()[5:] for n in (1, 0)]
        points = re.findall(r"<title>([0-9-]+): ([0-9.]+)</title>", chart)
        assert points == [(days[0], f"{score:.1f}"), (days[1], f"{score:.1f}")]
        assert ">100.0</text>" in chart
        assert "No score run in this window yet" not in page.text


def test_a_shop_never_scored_in_the_window_says_so(tiny_world: Path) -> None:
    with site(tiny_world) as (client, platform):
        _, _, shop = _people(platform, tiny_world)
        sign_in(client, tiny_world, "merchant")
        page = client.get("/merchant?lang=zh")
        assert page.status_code == 200
        assert "此期间尚无评分记录" in page.text
        chart = _score_chart(page.text, shop)
        assert "<circle" not in chart and 'class="line"' not in chart

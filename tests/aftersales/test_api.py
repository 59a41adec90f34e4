"""After-sales, customer service, tracking, product terms and coupons over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests import factories
from tests.factories import snapshot
from tests.trade import scenario
from tests.trade.scenario import listing
from tests.trade.test_api import auth
from xingqu.api.app import create_app
from xingqu.bootstrap import Platform
from xingqu.shared.clock import ManualClock

API = "/api/v1"


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform, drain_in_background=False)) as c:
        yield c


def test_a_return_with_insurance_over_http(platform: Platform, client: TestClient) -> None:
    # given an insured product, delivered
    p = platform
    item = listing(p, price_fen=8_000)
    as_merchant = auth(p, item.merchant)
    terms = client.put(
        f"{API}/products/{item.product_id}/terms",
        json={"insurance_tier": "upgraded", "ship_promise": "next_day"},
        headers=as_merchant,
    )
    assert terms.status_code == 200, terms.text
    buyer = factories.consumer(p)
    as_buyer = auth(p, buyer)
    assert client.get(f"{API}/products/{item.product_id}/terms", headers=as_buyer).json() == {
        "ship_promise": "next_day",
        "ship_within_hours": 48,
        "return_policy": "standard",
        "instant_refund": True,
        "insurance_tier": "upgraded",
    }
    order = scenario.delivered(p, buyer, item)
    # when the buyer asks to return it without a reason, sends it back and claims the postage
    asked = client.post(
        f"{API}/orders/{order.id}/aftersales",
        json={"kind": "return_refund", "reason_code": "no_reason", "amount_fen": 8_000},
        headers={**as_buyer, "Idempotency-Key": "a-1"},
    )
    assert asked.status_code == 201, asked.text
    rid = asked.json()["id"]
    approved = client.post(f"{API}/aftersales/{rid}/approve", headers=as_merchant)
    sent = client.post(
        f"{API}/aftersales/{rid}/return",
        json={"carrier": "YTO", "tracking_no": "YT9"},
        headers=as_buyer,
    )
    claim = client.post(
        f"{API}/aftersales/{rid}/insurance-claim", json={"postage_fen": 6_000}, headers=as_buyer
    )
    received = client.post(f"{API}/aftersales/{rid}/receive", headers=as_merchant)
    # then
    assert approved.json()["status"] == "approved"
    assert sent.json()["status"] == "returning"
    assert claim.status_code == 201 and claim.json()["paid_fen"] == 5_000  # the ¥50 cap
    assert received.json()["status"] == "executed"
    listed = client.get(f"{API}/aftersales", params={"order_id": order.id}, headers=as_buyer)
    assert [r["id"] for r in listed.json()["items"]] == [rid]


def test_escalation_and_ruling_over_http(platform: Platform, client: TestClient) -> None:
    p = platform
    item = listing(p)
    buyer, ops = factories.consumer(p), factories.operator(p)
    as_buyer, as_merchant, as_ops = auth(p, buyer), auth(p, item.merchant), auth(p, ops)
    order = scenario.shipped(p, buyer, item)
    rid = client.post(
        f"{API}/orders/{order.id}/aftersales",
        json={"kind": "refund_only", "reason_code": "not_received", "amount_fen": 9_900},
        headers={**as_buyer, "Idempotency-Key": "a-1"},
    ).json()["id"]
    client.post(f"{API}/aftersales/{rid}/reject", json={"note": "it shipped"}, headers=as_merchant)
    escalated = client.post(
        f"{API}/aftersales/{rid}/escalate", json={"note": "never came"}, headers=as_buyer
    )
    forbidden = client.post(
        f"{API}/aftersales/{rid}/ruling", json={"uphold": True, "note": "x"}, headers=as_merchant
    )
    ruled = client.post(
        f"{API}/aftersales/{rid}/ruling", json={"uphold": True, "note": "lost"}, headers=as_ops
    )
    assert escalated.json()["status"] == "escalated"
    assert forbidden.status_code == 403
    assert (ruled.json()["status"], ruled.json()["ruling"]) == ("executed", "upheld")
    assert client.get(f"{API}/orders/{order.id}", headers=as_buyer).json()["status"] == "refunded"


def test_tracking_and_coupons_over_http(
    platform: Platform, client: TestClient, clock: ManualClock
) -> None:
    p = platform
    item = listing(p, price_fen=30_000)
    buyer, ops = factories.consumer(p), factories.operator(p)
    order = scenario.paid(p, buyer, item)
    clock.advance(timedelta(hours=49))
    p.run_timers()  # not shipped in 48 hours: a late-shipment coupon
    as_buyer, as_ops = auth(p, buyer), auth(p, ops)  # log in now (sessions last an hour)
    coupons = client.get(f"{API}/coupons", headers=as_buyer).json()
    assert [(c["kind"], c["amount_fen"]) for c in coupons] == [("late_shipment", 300)]
    scenario.trade.ship_order(p.uow(), item.merchant, order.id, "SF", "SF1")
    scan = client.post(
        f"{API}/orders/{order.id}/tracking",
        json={"kind": "picked_up", "location": "Hangzhou"},
        headers=as_ops,
    )
    by_buyer = client.post(
        f"{API}/orders/{order.id}/tracking", json={"kind": "delivered"}, headers=as_buyer
    )
    assert scan.status_code == 201 and by_buyer.status_code == 403
    trail = client.get(f"{API}/orders/{order.id}/tracking", headers=as_buyer).json()
    assert [(e["kind"], e["location"]) for e in trail] == [("picked_up", "Hangzhou")]
    shown = client.get(f"{API}/orders/{order.id}", headers=as_buyer).json()
    assert shown["ship_by"] is not None and shown["open_requests"] == 0


def test_tickets_over_http(platform: Platform, client: TestClient) -> None:
    p = platform
    item = listing(p)
    buyer, ops = factories.consumer(p), factories.operator(p)
    as_buyer, as_merchant, as_ops = auth(p, buyer), auth(p, item.merchant), auth(p, ops)
    body = {"shop_id": item.shop_id, "subject": "Size?", "message": "Does it run small?"}
    opened = client.post(f"{API}/tickets", json=body, headers={**as_buyer, "Idempotency-Key": "t1"})
    retried = client.post(
        f"{API}/tickets", json=body, headers={**as_buyer, "Idempotency-Key": "t1"}
    )
    assert opened.status_code == retried.status_code == 201, opened.text
    tid = opened.json()["id"]
    assert retried.json()["id"] == tid
    answered = client.post(
        f"{API}/tickets/{tid}/messages", json={"body": "True to size."}, headers=as_merchant
    )
    escalated = client.post(f"{API}/tickets/{tid}/escalate", headers=as_buyer)
    closed = client.post(f"{API}/tickets/{tid}/close", json={"note": "answered"}, headers=as_ops)
    assert answered.json()["first_response_at"] is not None
    assert escalated.json()["status"] == "escalated"
    assert closed.json()["status"] == "closed"
    assert [m["side"] for m in closed.json()["messages"]] == ["buyer", "merchant"]
    shop = client.get(f"{API}/tickets", params={"as_merchant": True}, headers=as_merchant).json()
    assert shop["total"] == 1


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/orders/1/aftersales", {"kind": "refund_only", "reason_code": "meh", "amount_fen": 1}),
        ("/tickets", {"shop_id": 1, "subject": "", "message": "x"}),
        ("/products/1/terms", {"ship_within_hours": 0}),
        ("/products/1/terms", {"insurance_tier": "gold"}),
        ("/orders/1/tracking", {"kind": "teleported"}),
    ],
)
def test_malformed_after_sales_requests_are_422_and_change_nothing(
    platform: Platform, client: TestClient, path: str, body: dict[str, object]
) -> None:
    item = listing(platform)
    buyer = factories.consumer(platform)
    scenario.shipped(platform, buyer, item)
    headers = {**auth(platform, buyer), "Idempotency-Key": "k1"}
    before = snapshot(platform)
    method = client.put if path.endswith("/terms") else client.post
    response = method(f"{API}{path}", json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert snapshot(platform) == before

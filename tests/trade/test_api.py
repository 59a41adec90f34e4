"""The trade and after-sales HTTP API, end to end through FastAPI's TestClient."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests import factories
from tests.factories import snapshot
from tests.trade import scenario
from tests.trade.scenario import fake_payments, listing, stock_of
from xingqu.api.app import create_app
from xingqu.bootstrap import Platform
from xingqu.identity import services as identity
from xingqu.shared.access import Actor

API = "/api/v1"


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform, drain_in_background=False)) as c:
        yield c


def auth(p: Platform, actor: Actor) -> dict[str, str]:
    issued = identity.issue_session_for(p.uow(), actor.user_id, ttl=timedelta(hours=1))
    return {"Authorization": f"Bearer {issued.token}"}


def test_buy_pay_ship_deliver_confirm_and_refund_over_http(
    platform: Platform, client: TestClient
) -> None:
    # given a shop, a buyer and an operator, each logged in
    p = platform
    item = listing(p, price_fen=5_000, stock=3)
    buyer, ops = factories.consumer(p), factories.operator(p)
    as_buyer, as_merchant, as_ops = auth(p, buyer), auth(p, item.merchant), auth(p, ops)
    # when the buyer orders two units (twice: a retry) and pays (twice: a retry)
    body = {
        "lines": [{"sku_id": item.sku_id, "quantity": 2, "content_id": 9}],
        "address": "3 Street",
    }
    placed = client.post(f"{API}/orders", json=body, headers={**as_buyer, "Idempotency-Key": "o-1"})
    retried = client.post(
        f"{API}/orders", json=body, headers={**as_buyer, "Idempotency-Key": "o-1"}
    )
    assert placed.status_code == retried.status_code == 201, placed.text
    order = placed.json()
    assert retried.json()["id"] == order["id"]
    assert (order["status"], order["total_fen"], order["payment"], order["shipment"]) == (
        "pending_payment",
        10_000,
        None,
        None,
    )
    assert order["lines"] == [
        {
            "sku_id": item.sku_id,
            "product_id": item.product_id,
            "title": "补水精华",
            "sku_name": "30ml",
            "quantity": 2,
            "unit_price_fen": 5_000,
            "content_id": 9,
            "ship_promise": "within_hours",
            "ship_within_hours": 48,
            "return_policy": "standard",
        }
    ]
    oid = order["id"]
    pay = [
        client.post(f"{API}/orders/{oid}/pay", headers={**as_buyer, "Idempotency-Key": "p-1"})
        for _ in range(2)
    ]
    assert [r.status_code for r in pay] == [200, 200]
    assert pay[0].json() == pay[1].json()
    assert (pay[0].json()["amount_fen"], pay[0].json()["status"]) == (10_000, "captured")
    assert len(fake_payments(p).charges) == 1
    # and the order goes through fulfilment
    shipped = client.post(
        f"{API}/orders/{oid}/ship",
        json={"carrier": "SF", "tracking_no": "SF9"},
        headers=as_merchant,
    )
    assert shipped.status_code == 200, shipped.text
    assert shipped.json()["shipment"]["tracking_no"] == "SF9"
    assert (
        client.post(f"{API}/orders/{oid}/deliver", headers=as_ops).json()["status"] == "delivered"
    )
    assert (
        client.post(f"{API}/orders/{oid}/confirm", headers=as_buyer).json()["status"] == "completed"
    )
    # then a full refund is asked, approved and books the order as refunded
    asked = client.post(
        f"{API}/orders/{oid}/aftersales",
        json={"kind": "refund_only", "reason_code": "quality", "amount_fen": 10_000},
        headers={**as_buyer, "Idempotency-Key": "r-1"},
    )
    assert asked.status_code == 201, asked.text
    rid = asked.json()["id"]
    assert (
        client.get(f"{API}/aftersales", params={"as_merchant": True}, headers=as_merchant).json()[
            "total"
        ]
        == 1
    )
    approved = client.post(f"{API}/aftersales/{rid}/approve", headers=as_merchant)
    assert approved.json()["status"] == "executed"
    final = client.get(f"{API}/orders/{oid}", headers=as_buyer).json()
    assert (final["status"], final["payment"]["refunded_fen"], final["payment"]["status"]) == (
        "refunded",
        10_000,
        "refunded",
    )
    assert client.get(f"{API}/aftersales/{rid}", headers=as_buyer).json()["amount_fen"] == 10_000
    mine = client.get(f"{API}/orders", headers=as_buyer).json()
    assert [o["id"] for o in mine["items"]] == [oid]
    assert (
        client.get(
            f"{API}/orders", params={"as_merchant": True, "status": "refunded"}, headers=as_merchant
        ).json()["total"]
        == 1
    )


def test_cart_and_checkout_over_http(platform: Platform, client: TestClient) -> None:
    p = platform
    item = listing(p, stock=5)
    buyer = factories.consumer(p)
    as_buyer = auth(p, buyer)
    added = client.post(
        f"{API}/cart/items", json={"sku_id": item.sku_id, "quantity": 2}, headers=as_buyer
    )
    assert added.status_code == 201, added.text
    assert [
        ln["quantity"] for ln in client.get(f"{API}/cart", headers=as_buyer).json()["lines"]
    ] == [2]
    orders = client.post(
        f"{API}/cart/checkout", json={}, headers={**as_buyer, "Idempotency-Key": "c-1"}
    )
    assert orders.status_code == 201, orders.text
    assert [o["total_fen"] for o in orders.json()] == [19_800]
    assert client.get(f"{API}/cart", headers=as_buyer).json() == {"lines": []}
    client.post(f"{API}/cart/items", json={"sku_id": item.sku_id}, headers=as_buyer)
    assert client.delete(f"{API}/cart/items/{item.sku_id}", headers=as_buyer).status_code == 204
    missing = client.delete(f"{API}/cart/items/{item.sku_id}", headers=as_buyer)
    assert (missing.status_code, missing.json()["error"]["code"]) == (
        404,
        "trade.cart_line_not_found",
    )
    # and a cancel gives the stock back
    oid = orders.json()[0]["id"]
    assert (
        client.post(f"{API}/orders/{oid}/cancel", headers=as_buyer).json()["status"] == "cancelled"
    )
    assert stock_of(p, item) == 5


@pytest.mark.parametrize(
    ("path", "body", "headers"),
    [
        ("/orders", {"lines": [{"sku_id": 1, "quantity": 0}]}, {"Idempotency-Key": "k"}),
        ("/orders", {"lines": []}, {"Idempotency-Key": "k"}),
        ("/orders", {"lines": [{"sku_id": "one"}]}, {"Idempotency-Key": "k"}),
        ("/orders", {"lines": [{"sku_id": 1}], "coupon": "FREE"}, {"Idempotency-Key": "k"}),
        ("/orders", {"lines": [{"sku_id": 1}]}, {}),  # no idempotency key
        ("/orders", {"lines": [{"sku_id": 1}]}, {"Idempotency-Key": "not ok"}),
        ("/cart/items", {"sku_id": 1, "quantity": -1}, {}),
        ("/orders/1/ship", {"carrier": ""}, {}),
        (
            "/orders/1/aftersales",
            {"kind": "refund_only", "reason_code": "quality", "amount_fen": 0},
            {"Idempotency-Key": "k"},
        ),
        (
            "/orders/1/aftersales",
            {"kind": "refund_only", "reason_code": "quality", "amount_fen": 10.5},
            {"Idempotency-Key": "k"},
        ),
        (
            "/orders/1/aftersales",
            {"kind": "swap", "reason_code": "quality", "amount_fen": 100},
            {"Idempotency-Key": "k"},
        ),
    ],
)
def test_a_malformed_request_is_422_and_changes_nothing(
    platform: Platform,
    client: TestClient,
    path: str,
    body: dict[str, object],
    headers: dict[str, str],
) -> None:
    # given a paid order of ¥99.00
    item = listing(platform)
    buyer = factories.consumer(platform)
    scenario.paid(platform, buyer, item)
    headers = {**auth(platform, item.merchant if path.endswith("ship") else buyer), **headers}
    before = snapshot(platform)
    # when
    response = client.post(f"{API}{path}", json=body, headers=headers)
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "request.malformed"
    assert snapshot(platform) == before


def test_typed_errors_over_http_change_nothing(platform: Platform, client: TestClient) -> None:
    # given an unpaid order, a paid order, and people who may not touch them
    p = platform
    item = listing(p)
    buyer, stranger = factories.consumer(p), factories.consumer(p)
    unpaid = scenario.placed(p, buyer, item)
    paid = scenario.paid(p, buyer, item)
    rival = listing(p).merchant
    as_buyer, as_stranger, as_merchant, as_rival = (
        auth(p, a) for a in (buyer, stranger, item.merchant, rival)
    )
    before = snapshot(p)
    cases = [
        (client.get(f"{API}/orders/{unpaid.id}", headers=as_stranger), 403, "shared.forbidden"),
        (
            client.post(f"{API}/orders/{unpaid.id}/cancel", headers=as_stranger),
            403,
            "shared.forbidden",
        ),
        (
            client.post(
                f"{API}/orders/{paid.id}/ship",
                json={"carrier": "SF", "tracking_no": "1"},
                headers=as_rival,
            ),
            403,
            "shared.forbidden",
        ),
        (
            client.post(
                f"{API}/orders/{unpaid.id}/ship",
                json={"carrier": "SF", "tracking_no": "1"},
                headers=as_merchant,
            ),
            409,
            "trade.invalid_transition",
        ),
        (client.get(f"{API}/orders/99999", headers=as_buyer), 404, "trade.order_not_found"),
        (client.get(f"{API}/orders/{unpaid.id}"), 401, "shared.unauthenticated"),
        (
            client.post(
                f"{API}/orders/{paid.id}/aftersales",
                json={"kind": "refund_only", "reason_code": "other", "amount_fen": 9_901},
                headers={**as_buyer, "Idempotency-Key": "r-1"},
            ),
            409,
            "aftersales.refund_exceeds_paid",
        ),
        (
            client.get(f"{API}/orders", params={"status": "lost"}, headers=as_buyer),
            422,
            "trade.invalid_filter",
        ),
    ]
    for response, code, error in cases:
        assert (response.status_code, response.json()["error"]["code"]) == (code, error), (
            response.text
        )
    assert snapshot(p) == before
    # and paying a cancelled order is an invalid transition
    client.post(f"{API}/orders/{unpaid.id}/cancel", headers=as_buyer)
    before = snapshot(p)
    again = client.post(
        f"{API}/orders/{unpaid.id}/pay", headers={**as_buyer, "Idempotency-Key": "p-9"}
    )
    assert (again.status_code, again.json()["error"]["code"]) == (409, "trade.invalid_transition")
    assert again.json()["error"]["details"] == {"current": "cancelled", "target": "paid"}
    assert snapshot(p) == before


def test_the_device_header_and_the_payment_instrument_reach_the_order_and_payment(
    platform: Platform, client: TestClient
) -> None:
    # given
    p = platform
    item = listing(p)
    buyer = factories.consumer(p)
    as_buyer = auth(p, buyer)
    body = {"lines": [{"sku_id": item.sku_id, "quantity": 1}]}
    # when the client names its device and pays with an explicit instrument
    placed = client.post(
        f"{API}/orders",
        json=body,
        headers={**as_buyer, "Idempotency-Key": "o-1", "X-Device-Id": "phone-7"},
    )
    paid = client.post(
        f"{API}/orders/{placed.json()['id']}/pay",
        json={"instrument": "card-1"},
        headers={**as_buyer, "Idempotency-Key": "p-1"},
    )
    bad = client.post(
        f"{API}/orders",
        json=body,
        headers={**as_buyer, "Idempotency-Key": "o-2", "X-Device-Id": "bad id"},
    )
    # then
    assert placed.status_code == 201 and placed.json()["device_id"] == "phone-7"
    assert paid.status_code == 200
    assert (
        paid.json()["instrument"]
        == fake_payments(p).charges[f"order:{placed.json()['id']}"].instrument
    )
    assert bad.status_code == 422

"""The affiliate programme and the ledger over HTTP: plans, selections, touches, commissions,
ratings, statements and payouts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests import factories
from tests.content import factories as content_factories
from tests.trade.scenario import key, listing
from tests.trade.test_api import auth
from xingqu.api.app import create_app
from xingqu.bootstrap import Platform
from xingqu.shared.clock import ManualClock
from xingqu.trade import services as trade

API = "/api/v1"


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform, drain_in_background=False)) as c:
        yield c


def test_from_plan_to_commission_to_payout_over_http(
    platform: Platform, client: TestClient, clock: ManualClock
) -> None:
    # given a merchant's product, a creator and a buyer
    p = platform
    item = listing(p, price_fen=10_000)
    creator, creator_id = content_factories.creator(p)
    buyer, ops = factories.consumer(p), factories.operator(p)
    as_merchant, as_creator, as_buyer = auth(p, item.merchant), auth(p, creator), auth(p, buyer)
    # when the merchant offers 30 %, the creator selects and mounts the product, the buyer
    # opens its card in the video and buys later
    plan = client.post(
        f"{API}/affiliate/plans",
        json={"product_id": item.product_id, "rate_bp": 3_000},
        headers=as_merchant,
    )
    too_high = client.post(
        f"{API}/affiliate/plans",
        json={"product_id": item.product_id, "rate_bp": 6_000},
        headers=as_merchant,
    )
    assert plan.status_code == 201, plan.text
    assert too_high.status_code == 422
    assert client.get(f"{API}/affiliate/plans", headers=as_creator).json()["total"] == 1
    selected = client.post(
        f"{API}/affiliate/selections", json={"product_id": item.product_id}, headers=as_creator
    )
    assert selected.status_code == 201
    video = content_factories.item(p, creator, product_ids=[item.product_id])
    touch = client.post(
        f"{API}/affiliate/touches",
        json={"content_id": video.id, "product_id": item.product_id},
        headers=as_buyer,
    )
    assert touch.json() == {"recorded": True}
    clock.advance(timedelta(days=2))
    order = trade.place_order(
        p.uow(), buyer, trade.PlaceOrder([trade.OrderLineSpec(item.sku_id, 1)], key())
    )
    trade.pay_order(p.uow(), buyer, order.id, key(), payments=p.payments)
    trade.ship_order(p.uow(), item.merchant, order.id, "SF", "1")
    trade.mark_delivered(p.uow(), ops, order.id)
    trade.confirm_receipt(p.uow(), buyer, order.id)
    client.put(
        f"{API}/affiliate/creators/{creator_id}/rating",
        json={"rating": "C"},  # 20 % fee
        headers=auth(p, ops),
    )
    clock.advance(timedelta(days=16))
    p.run_timers()
    # then the creator sees the settled commission and the merchant the shop's statement
    as_creator, as_merchant, as_ops = auth(p, creator), auth(p, item.merchant), auth(p, ops)
    mine = client.get(f"{API}/affiliate/commissions", headers=as_creator).json()["items"]
    assert [(c["status"], c["gross_fen"], c["fee_fen"], c["net_fen"]) for c in mine] == [
        ("settled", 3_000, 600, 2_400)
    ]
    since = (clock.now() - timedelta(days=30)).isoformat()
    until = (clock.now() + timedelta(seconds=1)).isoformat()
    statement = client.get(
        f"{API}/ledger/statements/merchant_payables/{item.shop_id}",
        params={"since": since, "until": until},
        headers=as_merchant,
    )
    assert statement.status_code == 200, statement.text
    assert statement.json()["closing_fen"] == 10_000 - 500 - 3_000
    other = client.get(
        f"{API}/ledger/statements/merchant_payables/{item.shop_id}",
        params={"since": since, "until": until},
        headers=as_creator,
    )
    assert other.status_code == 403
    # and an operator pays the creator out, keeping the 5 % reserve, once per key
    body = {"account": "creator_commissions", "owner_id": creator_id}
    paid = client.post(
        f"{API}/ledger/payouts", json=body, headers={**as_ops, "Idempotency-Key": "po-1"}
    )
    again = client.post(
        f"{API}/ledger/payouts", json=body, headers={**as_ops, "Idempotency-Key": "po-1"}
    )
    assert paid.status_code == again.status_code == 201, paid.text
    assert (paid.json()["amount_fen"], again.json()["id"]) == (2_280, paid.json()["id"])
    by_merchant = client.post(
        f"{API}/ledger/payouts", json=body, headers={**as_merchant, "Idempotency-Key": "po-2"}
    )
    assert by_merchant.status_code == 403

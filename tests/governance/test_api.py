"""Governance over HTTP: typed errors, roles, the report."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests import factories
from tests.governance.support import category
from xingqu.api.app import create_app
from xingqu.bootstrap import Platform
from xingqu.governance import cases
from xingqu.governance.reports import governance_report
from xingqu.identity import services as identity
from xingqu.identity.models import User
from xingqu.shared.access import SYSTEM


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform, drain_in_background=False)) as c:
        yield c


def _headers(p: Platform, *roles: str) -> tuple[dict[str, str], int]:
    actor = factories.user(p, *roles, password="pw-governance-123")
    with p.uow(readonly=True) as uow:
        user = uow.session.get(User, actor.user_id)
        assert user is not None
        name = user.username
    token = identity.login(p.uow(), name, "pw-governance-123", ttl=timedelta(hours=1)).token
    return {"Authorization": f"Bearer {token}"}, actor.user_id


def test_a_merchant_lists_a_violating_product_and_reads_why(
    client: TestClient, platform: Platform
) -> None:
    # given
    headers, _ = _headers(platform, "merchant")
    shop = client.post("/api/v1/merchants", json={"name": "M", "shop_name": "S"}, headers=headers)
    leaf = category(platform, "beauty.skincare.serum")
    # when
    created = client.post(
        "/api/v1/products",
        json={
            "shop_id": shop.json()["id"],
            "category_id": leaf,
            "title_zh": "国家级 顶级精华",
            "skus": [{"name": "30ml", "price_fen": 9900, "stock": 5}],
        },
        headers=headers,
    )
    # then
    assert created.status_code == 201 and created.json()["status"] == "rejected"
    reviews = client.get(
        f"/api/v1/governance/products/{created.json()['id']}/reviews", headers=headers
    )
    assert reviews.status_code == 200
    assert reviews.json()[0]["codes"] == ["ad.absolute_term"]
    assert [f["excerpt"] for f in reviews.json()[0]["findings"]] == ["国家级", "顶级"]


def test_a_merchant_cannot_decide_a_case_over_http_and_nothing_changes(
    client: TestClient, platform: Platform
) -> None:
    # given
    headers, _ = _headers(platform, "merchant")
    shop = client.post(
        "/api/v1/merchants", json={"name": "M", "shop_name": "S"}, headers=headers
    ).json()["id"]
    case = cases.open_case(
        platform.uow(),
        SYSTEM,
        cases.OpenCase(shop, "manual", "goods.counterfeit", "high", "reported", dedupe_key="api"),
    )
    before = factories.snapshot(platform)
    # when
    response = client.post(
        f"/api/v1/governance/cases/{case.id}/decision",
        json={"confirm": False, "note": "dismiss my own case"},
        headers=headers,
    )
    # then
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "shared.forbidden"
    assert factories.snapshot(platform) == before
    mine = client.get("/api/v1/governance/cases", headers=headers).json()
    assert [c["id"] for c in mine["items"]] == [case.id]


def test_the_report_counts_by_reason_and_period(client: TestClient, platform: Platform) -> None:
    # given: one listing intercepted
    owner, shop = factories.merchant(platform)
    factories.product(platform, owner, shop, title_zh="高仿精华", title_en="")
    operator = factories.operator(platform)
    now = platform.clock.now()
    rows = governance_report(
        platform.uow(readonly=True), operator, now - timedelta(days=1), now + timedelta(days=1)
    )
    assert [(r.metric, r.reason, r.count) for r in rows] == [
        ("intercepted", "goods.counterfeit", 1)
    ]
    # and over HTTP an operator gets the same, a merchant is refused
    op_headers = _operator_headers(platform)
    got = client.get(
        "/api/v1/governance/reports",
        params={
            "since": (now - timedelta(days=1)).isoformat(),
            "until": (now + timedelta(days=1)).isoformat(),
            "period": "day",
        },
        headers=op_headers,
    )
    assert got.status_code == 200
    assert [(r["metric"], r["period"], r["reason"], r["count"]) for r in got.json()] == [
        ("intercepted", f"{now:%Y-%m-%d}", "goods.counterfeit", 1)
    ]
    merchant_headers, _ = _headers(platform, "merchant")
    refused = client.get(
        "/api/v1/governance/reports",
        params={"since": now.isoformat(), "until": (now + timedelta(days=1)).isoformat()},
        headers=merchant_headers,
    )
    assert refused.status_code == 403


def test_screening_a_draft_lists_the_findings_without_storing_anything(
    client: TestClient, platform: Platform
) -> None:
    headers, _ = _headers(platform, "merchant")
    before = factories.snapshot(platform)
    got = client.post(
        "/api/v1/governance/screen", json={"title": "zui jia 口红", "prices_fen": [5990]},
        headers=headers,
    )  # fmt: skip
    assert got.status_code == 200
    assert (got.json()["decision"], got.json()["codes"]) == ("reject", ["ad.absolute_term"])
    assert factories.snapshot(platform) == before


def _operator_headers(p: Platform) -> dict[str, str]:
    identity.register_user(
        p.uow(),
        identity.RegisterUser("gov-op", "Operator", frozenset({"operator"}), "pw-governance-123"),
        by=SYSTEM,
    )
    token = identity.login(p.uow(), "gov-op", "pw-governance-123", ttl=timedelta(hours=1)).token
    return {"Authorization": f"Bearer {token}"}

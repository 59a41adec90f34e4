"""The feed and behaviour endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests import factories
from tests.content import factories as made
from xingqu.api.app import create_app
from xingqu.bootstrap import Platform
from xingqu.identity import services as identity
from xingqu.shared.access import Actor

API = "/api/v1"


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform, drain_in_background=False)) as c:
        yield c


def _headers(p: Platform, actor: Actor) -> dict[str, str]:
    issued = identity.issue_session_for(p.uow(), actor.user_id, ttl=timedelta(hours=1))
    return {"Authorization": f"Bearer {issued.token}"}


def test_feed_then_behaviour_round_trip(client: TestClient, platform: Platform) -> None:
    # given a video carrying a product, and a viewer
    creator, creator_id = made.creator(platform, "Mei")
    owner, shop = factories.merchant(platform)
    product = factories.product(platform, owner, shop, price_fen=12_300)
    video = made.item(platform, creator, product_ids=[product.id], duration_s=40).id
    viewer = factories.consumer(platform)
    headers = _headers(platform, viewer)

    # when the viewer opens the feed
    page = client.get(f"{API}/feed", params={"limit": 5}, headers=headers)
    # then the card carries the product, and the impression is in the viewer's log
    assert page.status_code == 200
    body = page.json()
    (item,) = body["items"]
    assert (item["content_id"], item["creator_id"], item["creator_name"], item["channel"]) == (
        video,
        creator_id,
        "Mei",
        "fresh",
    )
    assert item["products"] == [
        {
            "product_id": product.id,
            "title_en": "Hydrating serum",
            "title_zh": "补水精华",
            "min_price_fen": 12_300,
            "sku_id": product.skus[0].id,
            "shop_id": shop,
        }
    ]
    request_id = body["request_id"]

    # when the viewer reports a watch, then a batch of a like and a click
    one = client.post(
        f"{API}/behaviour",
        json={"action": "watch", "content_id": video, "value": 40, "request_id": request_id},
        headers=headers,
    )
    batch = client.post(
        f"{API}/behaviour",
        json=[
            {"action": "like", "content_id": video},
            {"action": "product_click", "content_id": video, "product_id": product.id},
        ],
        headers=headers,
    )
    assert (one.status_code, one.json(), batch.json()) == (201, {"recorded": 1}, {"recorded": 2})
    mine = client.get(f"{API}/behaviour/mine", headers=headers).json()
    assert [(b["action"], b["request_id"]) for b in mine["items"]] == [
        ("product_click", None),
        ("like", None),
        ("watch", request_id),
        ("impression", request_id),
    ]
    watches = client.get(
        f"{API}/behaviour/mine", params={"action": "watch"}, headers=headers
    ).json()
    assert [b["value"] for b in watches["items"]] == [40.0]


def test_bad_behaviour_and_log_access(client: TestClient, platform: Platform) -> None:
    creator, _ = made.creator(platform)
    video = made.item(platform, creator, duration_s=40).id
    viewer = factories.consumer(platform)
    headers = _headers(platform, viewer)
    operator = _headers(platform, factories.operator(platform))
    client.post(f"{API}/behaviour", json={"action": "like", "content_id": video}, headers=headers)
    before = factories.snapshot(platform)

    # when a batch holds one impossible watch, or a client reports a payment, or asks badly
    batch = client.post(
        f"{API}/behaviour",
        json=[
            {"action": "like", "content_id": video},
            {"action": "watch", "content_id": video, "value": 500},
        ],
        headers=headers,
    )
    paid = client.post(f"{API}/behaviour", json={"action": "pay", "product_id": 1}, headers=headers)
    anonymous = client.get(f"{API}/feed")
    too_many = client.get(f"{API}/feed", params={"limit": 51}, headers=headers)
    not_operator = client.get(
        f"{API}/behaviour", params={"user_id": viewer.user_id}, headers=headers
    )
    # then each is a typed error and nothing changed
    assert [
        (r.status_code, r.json()["error"]["code"])
        for r in (batch, paid, anonymous, too_many, not_operator)
    ] == [
        (422, "discovery.invalid_behaviour"),
        (422, "discovery.action_not_recordable"),
        (401, "shared.unauthenticated"),
        (422, "request.malformed"),
        (403, "shared.forbidden"),
    ]
    assert batch.json()["error"]["details"]["index"] == 1
    assert factories.snapshot(platform) == before
    # and an operator reads anyone's log
    log = client.get(f"{API}/behaviour", params={"content_id": video}, headers=operator).json()
    assert [(b["user_id"], b["action"]) for b in log["items"]] == [(viewer.user_id, "like")]

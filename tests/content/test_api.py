"""The content endpoints."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests import factories
from tests.api.conftest import sign_up
from xingqu.api.app import create_app
from xingqu.bootstrap import Platform

API = "/api/v1"


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform, drain_in_background=False)) as c:
        yield c


def test_creator_publishes_mounts_and_removes(client: TestClient, platform: Platform) -> None:
    # given a creator, a rival creator, a fan and two products on sale
    mei = sign_up(client, "mei", "creator")
    rival = sign_up(client, "rival", "creator")
    fan = sign_up(client, "fan", "consumer")
    owner, shop = factories.merchant(platform)
    first, second = (factories.product(platform, owner, shop).id for _ in range(2))
    leaf = factories.leaf_category(platform)

    # when Mei becomes a creator (twice) and publishes a video
    profile = client.post(
        f"{API}/creators", json={"name": "Mei 小美", "bio": "serums"}, headers=mei
    )
    again = client.post(f"{API}/creators", json={"name": "Mei"}, headers=mei)
    client.post(f"{API}/creators", json={"name": "Rival"}, headers=rival)
    creator_id = profile.json()["id"]
    video = client.post(
        f"{API}/content",
        json={
            "kind": "video",
            "title_zh": "精华",
            "category_id": leaf,
            "duration_s": 30,
            "product_ids": [first],
        },
        headers=mei,
    )
    # then
    assert (profile.status_code, profile.json()["name"]) == (201, "Mei 小美")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "content.creator_exists")
    assert video.status_code == 201
    body = video.json()
    content_id = body["id"]
    assert (body["kind"], body["status"], body["product_ids"], body["creator"]) == (
        "video",
        "published",
        [first],
        {"id": creator_id, "name": "Mei 小美"},
    )
    assert client.get(f"{API}/content/{content_id}").json() == body

    # when she mounts a second product and unmounts the first; the rival tries to remove the video
    mounted = client.post(
        f"{API}/content/{content_id}/products", json={"product_id": second}, headers=mei
    )
    unmounted = client.delete(f"{API}/content/{content_id}/products/{first}", headers=mei)
    hijack = client.post(
        f"{API}/content/{content_id}/remove", json={"reason": "mine"}, headers=rival
    )
    # then
    assert mounted.json()["product_ids"] == [first, second]
    assert unmounted.status_code == 204
    assert (hijack.status_code, hijack.json()["error"]["code"]) == (403, "shared.forbidden")
    listed = client.get(f"{API}/creators/{creator_id}/content").json()
    assert (listed["total"], [c["product_ids"] for c in listed["items"]]) == (1, [[second]])

    # when the fan follows Mei and Mei tries to follow herself
    followed = client.post(f"{API}/creators/{creator_id}/follow", headers=fan)
    self_follow = client.post(f"{API}/creators/{creator_id}/follow", headers=mei)
    assert followed.status_code == 204
    assert (self_follow.status_code, self_follow.json()["error"]["code"]) == (
        422,
        "content.cannot_follow_self",
    )
    assert client.get(f"{API}/creators/{creator_id}").json()["follower_count"] == 1
    assert [
        c["id"] for c in client.get(f"{API}/creators/following", headers=fan).json()["items"]
    ] == [creator_id]
    assert client.delete(f"{API}/creators/{creator_id}/follow", headers=fan).status_code == 204
    assert client.get(f"{API}/creators/{creator_id}").json()["follower_count"] == 0

    # when Mei removes the video it leaves her list
    removed = client.post(
        f"{API}/content/{content_id}/remove", json={"reason": "outdated"}, headers=mei
    )
    assert removed.json()["status"] == "removed"
    assert client.get(f"{API}/creators/{creator_id}/content").json()["total"] == 0


def test_bad_content_requests_are_typed_errors_and_change_nothing(
    client: TestClient, platform: Platform
) -> None:
    mei = sign_up(client, "mei", "creator")
    consumer = sign_up(client, "carl", "consumer")
    client.post(f"{API}/creators", json={"name": "Mei"}, headers=mei)
    leaf = factories.leaf_category(platform)
    good = {"kind": "video", "title_en": "Serum", "category_id": leaf, "duration_s": 30}
    before = factories.snapshot(platform)

    responses = [
        client.post(f"{API}/content", json=good),
        client.post(f"{API}/content", json=good, headers=consumer),
        client.post(f"{API}/content", json={**good, "kind": "story"}, headers=mei),
        client.post(f"{API}/content", json={**good, "views": 10}, headers=mei),
        client.post(f"{API}/content", json={**good, "product_ids": [404]}, headers=mei),
        client.post(f"{API}/creators", json={"name": "Carl"}, headers=consumer),
        client.get(f"{API}/content/404"),
        client.get(f"{API}/creators/404"),
    ]
    assert [(r.status_code, r.json()["error"]["code"]) for r in responses] == [
        (401, "shared.unauthenticated"),
        (403, "shared.forbidden"),
        (422, "content.invalid_content"),
        (422, "request.malformed"),
        (404, "catalog.product_not_found"),
        (403, "shared.forbidden"),
        (404, "content.content_not_found"),
        (404, "content.creator_not_found"),
    ]
    assert factories.snapshot(platform) == before

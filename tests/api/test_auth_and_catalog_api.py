from fastapi.testclient import TestClient

from tests import factories
from tests.api.conftest import sign_up
from xingqu.bootstrap import Platform


def test_me_needs_a_token(client: TestClient) -> None:
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "shared.unauthenticated"
    assert response.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/auth/me", headers={"Authorization": "Bearer xq_nope"}).json()[
        "error"
    ]["code"] == ("identity.invalid_token")


def test_sign_up_log_in_me(client: TestClient) -> None:
    headers = sign_up(client, "carol", "consumer", "creator")
    me = client.get("/api/v1/auth/me", headers=headers).json()
    assert (me["username"], me["roles"]) == ("carol", ["consumer", "creator"])


def test_api_token_can_be_created_and_revoked(client: TestClient) -> None:
    headers = sign_up(client, "dave", "consumer")
    created = client.post("/api/v1/auth/tokens", json={"name": "script"}, headers=headers).json()
    api_headers = {"Authorization": f"Bearer {created['token']}"}
    assert client.get("/api/v1/auth/me", headers=api_headers).status_code == 200
    assert (
        client.delete(f"/api/v1/auth/tokens/{created['token_id']}", headers=headers).status_code
        == 204
    )
    assert client.get("/api/v1/auth/me", headers=api_headers).status_code == 401


def test_merchant_flow_and_ownership(client: TestClient, platform: Platform) -> None:
    # given two merchants with shops and a category
    leaf = factories.leaf_category(platform)
    alice = sign_up(client, "alice", "merchant")
    bob = sign_up(client, "bob", "merchant")
    shop = client.post(
        "/api/v1/merchants", json={"name": "Alice Co", "shop_name": "Alice"}, headers=alice
    ).json()
    client.post("/api/v1/merchants", json={"name": "Bob Co", "shop_name": "Bob"}, headers=bob)
    body = {
        "shop_id": shop["id"],
        "category_id": leaf,
        "title_zh": "面霜",
        "skus": [{"name": "50g", "price_fen": 8800, "stock": 3}],
    }
    product = client.post("/api/v1/products", json=body, headers=alice).json()
    assert (product["status"], product["skus"][0]["price_fen"]) == ("live", 8800)
    before = factories.snapshot(platform)

    # when bob tries to change alice's product, list into her shop, or sends a malformed payload
    patch = client.patch(f"/api/v1/products/{product['id']}", json={"title_zh": "盗"}, headers=bob)
    create = client.post("/api/v1/products", json=body, headers=bob)
    stock = client.post(
        f"/api/v1/skus/{product['skus'][0]['id']}/stock", json={"delta": 5}, headers=bob
    )
    malformed = client.post(
        "/api/v1/products",
        json={**body, "skus": [{"name": "x", "price_fen": "cheap", "stock": 1}]},
        headers=alice,
    )
    negative = client.post(
        "/api/v1/products",
        json={**body, "skus": [{"name": "x", "price_fen": -1, "stock": 1}]},
        headers=alice,
    )

    # then each gets its typed error and nothing changed
    assert [r.status_code for r in (patch, create, stock, malformed, negative)] == [
        403,
        403,
        403,
        422,
        422,
    ]
    assert [r.json()["error"]["code"] for r in (patch, create, stock, malformed, negative)] == [
        "shared.forbidden",
        "shared.forbidden",
        "shared.forbidden",
        "request.malformed",
        "request.malformed",
    ]
    assert factories.snapshot(platform) == before


def test_products_are_paginated(client: TestClient, platform: Platform) -> None:
    owner, shop_id = factories.merchant(platform)
    ids = [factories.product(platform, owner, shop_id).id for _ in range(5)]
    page = client.get("/api/v1/products", params={"limit": 2, "offset": 2}).json()
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 2)
    assert [p["id"] for p in page["items"]] == ids[2:4]
    bad = client.get("/api/v1/products", params={"limit": 0})
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "request.malformed")


def test_unknown_route_is_a_typed_404(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "request.not_found")


def test_openapi_is_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/products" in spec["paths"]
    assert client.get("/docs").status_code == 200

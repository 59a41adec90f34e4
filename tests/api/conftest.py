from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from xingqu.api.app import create_app
from xingqu.bootstrap import Platform


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform, drain_in_background=False)) as c:
        yield c


def sign_up(client: TestClient, username: str, *roles: str) -> dict[str, str]:
    """Create an account through the API and return bearer headers for it."""
    password = f"pw-{username}-123"
    created = client.post(
        "/api/v1/auth/users",
        json={
            "username": username,
            "display_name": username.title(),
            "password": password,
            "roles": list(roles),
        },
    )
    assert created.status_code == 201, created.text
    token = client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    ).json()["token"]
    return {"Authorization": f"Bearer {token}"}

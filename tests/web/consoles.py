"""Signing a TestClient in as a demo role of the tiny world, and forms' tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.sim.tiny import tiny_settings
from xingqu.api.app import create_app
from xingqu.bootstrap import Platform, build_platform
from xingqu.sim.truth import SimTruth


def scalar(platform: Platform, sql: str, **params: object) -> object:
    """One value read straight from the platform's database."""
    with platform.engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def key(html: str) -> str:
    found = re.search(r'name="key" value="([^"]+)"', html)
    assert found, "the form has no request key"
    return found.group(1)


@contextmanager
def site(data_dir: Path) -> Iterator[tuple[TestClient, Platform]]:
    platform = build_platform(tiny_settings(data_dir, demo_mode=True), migrate_schema=False)
    with TestClient(create_app(platform, drain_in_background=False)) as client:
        yield client, platform
    platform.close()


def sign_in(client: TestClient, data_dir: Path, role: str) -> int:
    """Sign in as the world's demo account of `role`; returns its user id."""
    user_id = SimTruth.load(data_dir).demo_accounts[role]
    token = csrf(client.get("/login").text)
    answer = client.post(
        f"/demo/login/{user_id}", data={"csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303
    return user_id

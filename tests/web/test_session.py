"""Browser sessions: log-in and log-out forms, CSRF protection, safe redirects, demo log-in."""

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.sim.tiny import tiny_settings
from xingqu.api.app import create_app
from xingqu.bootstrap import Platform, build_platform
from xingqu.identity import services as identity
from xingqu.web.session import ANONYMOUS_CSRF_COOKIE, SESSION_COOKIE, safe_next

PASSWORD = "correct horse battery"


def _client(data_dir: Path, *, demo_mode: bool) -> Iterator[tuple[TestClient, Platform]]:
    platform = build_platform(tiny_settings(data_dir, demo_mode=demo_mode), migrate_schema=False)
    with TestClient(create_app(platform, drain_in_background=False)) as client:
        yield client, platform
    platform.close()


@pytest.fixture
def site(tiny_world: Path) -> Iterator[tuple[TestClient, Platform]]:
    yield from _client(tiny_world, demo_mode=False)


@pytest.fixture
def demo_site(tiny_world: Path) -> Iterator[tuple[TestClient, Platform]]:
    yield from _client(tiny_world, demo_mode=True)


def _tokens(platform: Platform) -> int:
    with platform.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM api_tokens")).scalar_one())


def _shopper(platform: Platform, name: str = "web-shopper") -> int:
    user = identity.register_user(
        platform.uow(),
        identity.RegisterUser(name, "Web Shopper", frozenset({"consumer"}), PASSWORD),
    )
    return user.id


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def test_logging_in_with_the_form_sets_an_http_only_session_cookie(
    site: tuple[TestClient, Platform],
) -> None:
    # given the log-in form
    client, platform = site
    _shopper(platform)
    form = client.get("/login?next=/docs")
    assert form.status_code == 200
    assert ANONYMOUS_CSRF_COOKIE in form.cookies
    # when the user signs in
    answer = client.post(
        "/login",
        data={
            "csrf_token": _csrf(form.text),
            "username": "web-shopper",
            "password": PASSWORD,
            "next": "/docs",
        },
        follow_redirects=False,
    )
    # then they are sent where they were going with a session cookie scripts cannot read
    assert answer.status_code == 303 and answer.headers["location"] == "/docs"
    cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Sign out" in client.get("/").text


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    site: tuple[TestClient, Platform],
) -> None:
    # given a user and a browser that has loaded the log-in form
    client, platform = site
    _shopper(platform)
    client.get("/login")
    before = _tokens(platform)
    # when a post arrives without the token, or with a forged one
    missing = client.post("/login", data={"username": "web-shopper", "password": PASSWORD})
    forged = client.post(
        "/login", data={"csrf_token": "forged", "username": "web-shopper", "password": PASSWORD}
    )
    # then both are refused with a readable page and no session is issued
    for answer in (missing, forged):
        assert answer.status_code == 403
        assert "did not come from this site" in answer.text
        assert SESSION_COOKIE not in answer.cookies
    assert _tokens(platform) == before


def test_a_wrong_password_shows_the_form_again_without_a_session(
    site: tuple[TestClient, Platform],
) -> None:
    client, platform = site
    _shopper(platform)
    form = client.get("/login")
    before = _tokens(platform)
    answer = client.post(
        "/login",
        data={"csrf_token": _csrf(form.text), "username": "web-shopper", "password": "nope"},
    )
    assert answer.status_code == 401
    assert "Wrong user name or password." in answer.text
    assert SESSION_COOKIE not in answer.cookies
    assert _tokens(platform) == before


def test_signed_in_forms_carry_a_token_bound_to_the_session(
    site: tuple[TestClient, Platform],
) -> None:
    # given a signed-in browser
    client, platform = site
    _shopper(platform)
    form = client.get("/login")
    client.post(
        "/login",
        data={"csrf_token": _csrf(form.text), "username": "web-shopper", "password": PASSWORD},
    )
    page = client.get("/")
    token = _csrf(page.text)
    # when it logs out with the anonymous token of before, it is refused
    refused = client.post("/logout", data={"csrf_token": _csrf(form.text)}, follow_redirects=False)
    assert refused.status_code == 403
    # and with its session's token it is signed out
    done = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    client.cookies.delete(SESSION_COOKIE)
    assert "Sign in" in client.get("/").text


def test_only_local_paths_are_post_log_in_destinations() -> None:
    assert safe_next("/merchant/orders?page=2") == "/merchant/orders?page=2"
    for hostile in ("//evil.example", "https://evil.example", "/\\evil.example", "", None):
        assert safe_next(hostile) == "/"


def test_demo_log_in_exists_only_in_demo_mode(
    site: tuple[TestClient, Platform], demo_site: tuple[TestClient, Platform]
) -> None:
    plain, platform = site
    user_id = _shopper(platform)
    token = _csrf(plain.get("/login").text)
    before = _tokens(platform)
    refused = plain.post(f"/demo/login/{user_id}", data={"csrf_token": token})
    assert refused.status_code == 404 and _tokens(platform) == before

    demo, _ = demo_site
    token = _csrf(demo.get("/login").text)
    answer = demo.post(f"/demo/login/{user_id}", data={"csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/feed"
    assert SESSION_COOKIE in answer.cookies


def test_both_languages_have_every_text() -> None:
    locales = Path(__file__).parents[2] / "src" / "xingqu" / "web" / "locales"
    en = json.loads((locales / "en.json").read_text(encoding="utf-8"))
    zh = json.loads((locales / "zh.json").read_text(encoding="utf-8"))
    assert sorted(en) == sorted(zh)
    assert all(value.strip() for value in [*en.values(), *zh.values()])

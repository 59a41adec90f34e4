"""The pages in a real browser: the landing page in both languages, and signing in."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.sim.tiny import tiny_settings
from xingqu.bootstrap import build_platform
from xingqu.identity import services as identity


def test_the_landing_page_switches_language(
    page: Page,
    live_server: LiveServer,
    shot,  # type: ignore[no-untyped-def]
) -> None:
    # given the landing page
    page.goto(live_server.url + "/")
    expect(page.locator("h1")).to_contain_text("interest e-commerce engine")
    shot("landing-en")
    # when the reader switches to Chinese
    page.get_by_role("link", name="中文").click()
    # then the page speaks Chinese, and keeps doing so
    expect(page.locator("h1")).to_contain_text("兴趣电商引擎")
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    shot("landing-zh")


def test_a_user_signs_in_with_the_keyboard_and_out_again(
    page: Page,
    live_server: LiveServer,
    shot,  # type: ignore[no-untyped-def]
) -> None:
    # given an account
    platform = build_platform(tiny_settings(live_server.data_dir), migrate_schema=False)
    identity.register_user(
        platform.uow(),
        identity.RegisterUser("keyboard.user", "Keyboard", frozenset({"consumer"}), "s3cret-pass"),
    )
    platform.close()
    page.goto(live_server.url + "/login")
    # when the user first mistypes the password, using labels and the keyboard only
    page.get_by_label("User name").fill("keyboard.user")
    page.get_by_label("Password").fill("wrong password")
    page.keyboard.press("Enter")
    # then a readable error is shown
    expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")
    shot("login-failed")
    # when the right one
    page.get_by_label("Password").fill("s3cret-pass")
    page.keyboard.press("Enter")
    # then they are signed in, and can sign out
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    shot("signed-in")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()

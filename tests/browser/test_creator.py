"""A creator in a real browser selects a product in the affiliate marketplace and puts it on one
of their content items, where it then appears in the item's product list."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, sign_in_as


def test_a_creator_selects_an_affiliate_product_and_sees_it_on_their_content(
    page: Page,
    live_server: LiveServer,
    shot,  # type: ignore[no-untyped-def]
) -> None:
    # given the demo creator in the affiliate marketplace
    sign_in_as(page, live_server, "creator")
    page.get_by_role("link", name="Affiliate marketplace").click()
    offer = page.locator("tbody tr", has=page.get_by_role("button", name="Select")).first
    expect(offer).to_be_visible()
    title = offer.locator("td").first.inner_text().strip()
    shot("marketplace")
    # when they select a product
    offer.get_by_role("button", name="Select").click()
    # then it is among their selections
    expect(page.get_by_role("status")).to_have_text("Added to your selections.")
    expect(page.locator("#selections")).to_contain_text(title)
    shot("selections")

    # when they put it on one of their content items
    page.locator(".subnav").get_by_role("link", name="My content").click()
    page.locator("table.table tbody a").first.click()
    option = page.locator("#product option", has_text=title).first
    page.get_by_label("From my selections").select_option(option.get_attribute("value"))
    page.get_by_role("button", name="Put on this content").click()
    # then the content's product list shows it
    expect(page.get_by_role("status")).to_have_text("Product added to the content.")
    expect(page.locator("#mounted")).to_contain_text(title)
    shot("mounted")

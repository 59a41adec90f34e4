"""A consumer in a real browser, on a phone-sized screen: scrolls the interest feed, buys a product
mounted on a content item, pays, and asks for a refund, which is paid back at once (the order has
not shipped)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, scalar, sign_in_as

LIKES = "SELECT count(*) FROM behaviour_events WHERE action = 'like' AND content_id = :c"


@pytest.mark.phone
def test_a_consumer_scrolls_the_feed_buys_a_mounted_product_and_gets_a_refund(
    page: Page,
    live_server: LiveServer,
    shot,  # type: ignore[no-untyped-def]
) -> None:
    # given the demo consumer on their feed
    sign_in_as(page, live_server, "consumer")
    expect(page).to_have_url(re.compile(r"/feed$"))
    cards = page.locator("ol#feed > li.card")
    first_page = cards.count()
    assert first_page > 0
    shot("feed")

    # when they scroll to the end, the next cards are appended
    page.locator("#more").scroll_into_view_if_needed()
    expect(page.locator("ol#feed")).to_have_attribute("data-pages", "1")
    assert cards.count() > first_page
    shot("feed-scrolled")

    # and they open a product mounted on one of the cards
    buy = page.locator("ol#feed .products a.buy").first
    expect(buy).to_be_visible()
    content_id = int(buy.get_attribute("href").split("content=")[1].split("&")[0])  # type: ignore[union-attr]
    buy.click()
    expect(page.get_by_role("button", name="Buy now")).to_be_visible()
    shot("product")
    page.get_by_label("Delivery address").fill("1 Lane, Hangzhou")
    page.get_by_role("button", name="Buy now").click()

    # then the order exists, remembers the content, and can be paid
    expect(page.get_by_role("status")).to_have_text("Order placed. Pay to confirm it.")
    order_id = int(re.search(r"/orders/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    page.get_by_role("button", name=re.compile(r"^Pay ¥")).click()
    expect(page.get_by_role("status")).to_have_text("Paid. Thank you!")
    expect(page.locator("h1 .status")).to_have_text("Paid")
    shot("paid")

    # when they ask for their money back before it ships
    page.get_by_label("Kind").select_option("refund_only")
    page.get_by_label("Reason").select_option("changed_mind")
    page.get_by_role("button", name="Send the request").click()

    # then the refund is made at once, in full
    expect(page.get_by_role("status")).to_have_text("Request sent.")
    expect(page.locator("h1 .status")).to_have_text("Refunded")
    shot("refunded")
    paid = scalar(live_server, "SELECT amount_fen FROM payments WHERE order_id = :o", o=order_id)
    refunded = scalar(
        live_server, "SELECT refunded_fen FROM payments WHERE order_id = :o", o=order_id
    )
    line_content = scalar(
        live_server, "SELECT content_id FROM order_lines WHERE order_id = :o", o=order_id
    )
    clicks = scalar(
        live_server,
        "SELECT count(*) FROM behaviour_events WHERE action = 'product_click' AND content_id = :c "
        "AND user_id = (SELECT buyer_id FROM orders WHERE id = :o)",
        c=content_id,
        o=order_id,
    )
    assert refunded == paid > 0
    assert line_content == content_id
    assert clicks >= 1


def test_feed_actions_go_to_the_behaviour_log_without_leaving_the_page(
    page: Page,
    live_server: LiveServer,
    shot,  # type: ignore[no-untyped-def]
) -> None:
    # given the consumer's feed, reached with the keyboard only
    sign_in_as(page, live_server, "consumer")
    card = page.locator("ol#feed > li.card").first
    content_id = int(card.get_attribute("data-content"))  # type: ignore[arg-type]
    before = scalar(live_server, LIKES, c=content_id)
    like = card.get_by_role("button", name=re.compile("Like"))
    like.focus()
    # when they press Enter on Like
    page.keyboard.press("Enter")
    # then the button says so, the page stays, and the like is logged
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(page).to_have_url(re.compile(r"/feed$"))
    shot("liked")
    after = scalar(live_server, LIKES, c=content_id)
    assert after == before + 1

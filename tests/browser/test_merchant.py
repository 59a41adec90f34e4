"""A merchant in a real browser lists a product whose title makes a banned claim, sees the
rejection with the claim marked in the title, fixes it and sees it approved."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import text

from tests.browser.conftest import LiveServer, scalar, server_platform, sign_in_as


def _a_category_with_live_products(live_server: LiveServer) -> tuple[int, str, str, int]:
    """(id, English name, Chinese name, a typical price in fen) of a leaf category."""
    with server_platform(live_server) as platform, platform.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT c.id, c.name_en, c.name_zh, min(s.price_fen) FROM categories c "
                "JOIN products p ON p.category_id = c.id JOIN skus s ON s.product_id = p.id "
                "WHERE p.status = 'live' GROUP BY c.id, c.name_en, c.name_zh "
                "ORDER BY count(*) DESC, c.id LIMIT 1"
            )
        ).one()
    return int(row[0]), str(row[1]), str(row[2]), int(row[3])


def test_a_merchant_sees_a_rejection_with_its_evidence_fixes_it_and_is_approved(
    page: Page,
    live_server: LiveServer,
    shot,  # type: ignore[no-untyped-def]
) -> None:
    # given the demo merchant on the new-product form
    category_id, name_en, name_zh, price_fen = _a_category_with_live_products(live_server)
    sign_in_as(page, live_server, "merchant")
    page.get_by_role("link", name="Products", exact=True).click()
    page.get_by_role("link", name="List a product").click()
    # when they list a product whose Chinese title claims to be the best (最佳)
    page.get_by_label("Category").select_option(str(category_id))
    page.get_by_label("Chinese title").fill(f"最佳{name_zh}")
    page.get_by_label("English title").fill(name_en)
    page.get_by_label("Price (yuan)").fill(f"{price_fen // 100}.{price_fen % 100:02d}")
    page.get_by_label("Stock").fill("20")
    page.get_by_role("button", name="Submit for review").click()
    # then it is rejected, with the reason and the claim marked in the title
    expect(page.get_by_role("status")).to_have_text("Listed and reviewed.")
    expect(page.locator("#product-status")).to_have_text("Rejected")
    expect(page.locator(".findings")).to_contain_text("ad.absolute_term")
    marked = page.locator(".evidence mark")
    expect(marked.first).to_have_text("最佳")
    expect(marked.first).to_have_attribute("data-codes", "ad.absolute_term")
    shot("rejected-with-evidence")
    product_id = int(re.search(r"/merchant/products/(\d+)", page.url).group(1))  # type: ignore[union-attr]

    # when they remove the claim and resubmit
    page.get_by_label("Chinese title").fill(name_zh)
    page.get_by_role("button", name="Resubmit for review").click()
    # then it is approved and on sale
    expect(page.get_by_role("status")).to_have_text("Resubmitted and reviewed again.")
    expect(page.locator("#product-status")).to_have_text("On sale")
    expect(page.locator("#review-title")).to_contain_text("Approved")
    expect(page.locator(".evidence mark")).to_have_count(0)
    shot("approved")
    status = scalar(live_server, "SELECT status FROM products WHERE id = :p", p=product_id)
    with server_platform(live_server) as platform, platform.engine.connect() as conn:
        decisions = conn.execute(
            text("SELECT decision FROM listing_reviews WHERE product_id = :p ORDER BY id"),
            {"p": product_id},
        ).scalars()
        assert (status, list(decisions)) == ("live", ["reject", "approve"])


def test_a_merchant_cannot_open_another_merchants_order_in_the_browser(
    page: Page,
    live_server: LiveServer,
    shot,  # type: ignore[no-untyped-def]
) -> None:
    # given an order of another merchant's shop
    order_id = scalar(
        live_server,
        "SELECT min(o.id) FROM orders o JOIN shops s ON s.id = o.shop_id "
        "JOIN merchants m ON m.id = s.merchant_id JOIN users u ON u.id = m.owner_user_id "
        "WHERE u.username <> 'demo-merchant'",
    )
    sign_in_as(page, live_server, "merchant")
    # when the demo merchant opens its page
    answer = page.goto(f"{live_server.url}/merchant/orders/{order_id}")
    # then it is refused with a readable page
    assert answer is not None and answer.status == 403
    expect(page.get_by_role("alert")).to_contain_text("neither yours nor your shop's")
    shot("forbidden")

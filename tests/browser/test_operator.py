"""An operator in a real browser rejects a listing from the review queue (its evidence marked in
the text), the merchant appeals in their console, and the operator upholds the appeal: the
product is back on sale. Then the quality-GMV dashboard after the simulated days."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import text

from tests.browser.conftest import LiveServer, scalar, server_platform, sign_in_as
from xingqu.catalog import services as catalog
from xingqu.catalog.rules import SkuSpec
from xingqu.identity import services as identity


def _a_listing_under_watch(live_server: LiveServer) -> tuple[int, str]:
    """The demo merchant lists a product at ¥0.01, far below its category's prices: it goes live
    under watch and waits in the review queue. Returns (product id, its title)."""
    with server_platform(live_server) as platform:
        with platform.engine.connect() as conn:
            user_id, shop_id = conn.execute(
                text(
                    "SELECT u.id, s.id FROM users u JOIN merchants m ON m.owner_user_id = u.id "
                    "JOIN shops s ON s.merchant_id = m.id WHERE u.username = 'demo-merchant'"
                )
            ).one()
            category_id, name_zh = conn.execute(
                text(
                    "SELECT c.id, c.name_zh FROM categories c JOIN products p "
                    "ON p.category_id = c.id GROUP BY c.id, c.name_zh ORDER BY count(*) DESC "
                    "LIMIT 1"
                )
            ).one()
        merchant = identity.get_user(platform.uow(readonly=True), user_id).actor()
        title = f"{name_zh} 特价"
        product = catalog.create_product(
            platform.uow(),
            merchant,
            catalog.CreateProduct(
                shop_id=shop_id,
                category_id=category_id,
                title_en="",
                title_zh=title,
                skus=[SkuSpec("standard", 1, 5)],
            ),
        )
        with platform.engine.connect() as conn:
            queued = conn.execute(
                text("SELECT queue_status FROM listing_reviews WHERE product_id = :p"),
                {"p": product.id},
            ).scalar_one()
    assert queued == "pending"
    return product.id, title


def test_an_operator_rejects_a_listing_from_the_queue_and_upholds_the_appeal(
    page: Page,
    browser: Browser,
    live_server: LiveServer,
    shot,  # type: ignore[no-untyped-def]
) -> None:
    # given a listing waiting in the queue, and the operator on the queue page
    product_id, title = _a_listing_under_watch(live_server)
    sign_in_as(page, live_server, "operator")
    page.get_by_role("link", name="Review queue").click()
    entry = page.locator("article.review", has_text=f"#{product_id}")
    expect(entry).to_be_visible()
    expect(entry.locator(".findings")).to_contain_text("price.anomaly")
    expect(entry.locator(".evidence").first).to_have_text(title)
    shot("queue")

    # when the operator rejects it with a note
    entry.get_by_label("Note").fill("¥0.01 is a bait price")
    entry.get_by_role("button", name=f"Reject #{product_id}").click()
    # then it leaves the queue and is off sale
    expect(page.get_by_role("status")).to_have_text("Rejected.")
    expect(page.locator("article.review", has_text=f"#{product_id}")).to_have_count(0)
    status = scalar(live_server, "SELECT status FROM products WHERE id = :p", p=product_id)
    assert status == "rejected"

    # when the merchant appeals from their console (another browser session)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    merchant = context.new_page()
    sign_in_as(merchant, live_server, "merchant")
    merchant.goto(f"{live_server.url}/merchant/products/{product_id}")
    expect(merchant.locator("#review-title")).to_contain_text("rejected by an operator")
    merchant.get_by_text("Appeal this decision").click()
    merchant.get_by_label("Your statement").fill("Launch promotion: the price is real for 5 units.")
    merchant.get_by_label("Evidence").fill("promo-plan-2026.pdf")
    merchant.get_by_role("button", name="File the appeal").click()
    expect(merchant.get_by_role("status")).to_have_text("Appeal filed.")
    context.close()

    # and the operator upholds it
    page.get_by_role("link", name="Appeals").click()
    appeal = page.locator("article", has_text="Launch promotion")
    expect(appeal).to_be_visible()
    shot("appeal")
    appeal.get_by_label("Note").fill("Promotion verified")
    appeal.get_by_role("button", name=re.compile(r"^Uphold")).click()
    # then the appeal is upheld and the product is back on sale
    expect(page.get_by_role("status")).to_have_text("Appeal upheld.")
    page.goto(f"{live_server.url}/ops/appeals?status=upheld")
    expect(page.locator("article", has_text="Launch promotion").locator(".status")).to_have_text(
        "Upheld"
    )
    shot("upheld")
    status = scalar(live_server, "SELECT status FROM products WHERE id = :p", p=product_id)
    appeal_status = scalar(
        live_server,
        "SELECT a.status FROM appeals a JOIN listing_reviews r ON r.id = a.subject_id "
        "WHERE a.subject = 'listing' AND r.product_id = :p",
        p=product_id,
    )
    assert (status, appeal_status) == ("live", "upheld")


def test_the_dashboard_draws_its_charts_from_the_simulated_days(
    page: Page,
    live_server: LiveServer,
    shot,  # type: ignore[no-untyped-def]
) -> None:
    # given the simulated days' orders
    paid = scalar(live_server, "SELECT coalesce(sum(amount_fen), 0) FROM payments")
    assert paid > 0
    # when the operator opens the dashboard
    sign_in_as(page, live_server, "operator")
    page.get_by_role("link", name="Dashboard").click()
    # then every figure has its chart, drawn as SVG, and the money ones are not flat
    charts = page.locator("figure.chart svg")
    expect(charts).to_have_count(10)
    for key in ("chart_gmv", "chart_net_gmv", "chart_quality_gmv", "chart_new_customer_share"):
        svg = page.locator(f'svg[data-chart="{key}"]')
        expect(svg).to_have_attribute("data-nonzero", "true")
        expect(svg.locator("path.line")).to_have_count(1)
    box = page.locator('svg[data-chart="chart_gmv"]').bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 80
    gmv = page.locator("#totals div", has_text="GMV").first.locator("dd")
    expect(gmv).not_to_have_text("¥0.00")
    shot("dashboard")
    # and in Chinese too
    page.get_by_role("link", name="中文").click()
    expect(page.locator("h1")).to_have_text("优质 GMV 看板")
    shot("dashboard-zh")

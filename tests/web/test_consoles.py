"""The consoles over the real services: who may open what, forms that need their CSRF token,
every page in both languages, and a purchase from product page to refund."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.factories import snapshot
from tests.web.consoles import csrf, key, scalar, sign_in, site
from xingqu.bootstrap import Platform
from xingqu.catalog import queries as catalog_queries
from xingqu.identity import services as identity
from xingqu.shared.paging import PageRequest
from xingqu.sim.truth import SimTruth
from xingqu.trade import services as trade
from xingqu.web.sitemap import CONSOLE_PAGES


def _order_at_another_shop(platform: Platform, data_dir: Path) -> tuple[int, int]:
    """A paid order of the demo consumer at a shop the demo merchant does not own:
    (order id, its shop id)."""
    truth = SimTruth.load(data_dir)
    demo_shop = next(
        m.shop_id for m in truth.merchants if m.user_id == truth.demo_accounts["merchant"]
    )
    page = catalog_queries.list_products(platform.uow(readonly=True), PageRequest(100))
    product = next(p for p in page.items if p.shop_id != demo_shop and p.skus[0].stock > 0)
    buyer = identity.get_user(platform.uow(readonly=True), truth.demo_accounts["consumer"]).actor()
    order = trade.place_order(
        platform.uow(),
        buyer,
        trade.PlaceOrder([trade.OrderLineSpec(product.skus[0].id, 1)], "k-other"),
    )
    trade.pay_order(platform.uow(), buyer, order.id, "p-other", payments=platform.payments)
    return order.id, product.shop_id


@pytest.mark.parametrize("role", sorted(CONSOLE_PAGES))
def test_every_console_page_renders_in_both_languages(role: str, tiny_world: Path) -> None:
    with site(tiny_world) as (client, _):
        sign_in(client, tiny_world, role)
        for path in CONSOLE_PAGES[role]:
            for lang, html_lang in (("en", '<html lang="en">'), ("zh", '<html lang="zh-CN">')):
                joiner = "&" if "?" in path else "?"
                page = client.get(f"{path}{joiner}lang={lang}")
                assert page.status_code == 200, (path, page.text[:300])
                assert html_lang in page.text or "part=cards" in path  # (a fragment)
                assert "{{" not in page.text and "done_" not in page.text


def test_consoles_answer_the_wrong_role_with_403_and_strangers_with_the_log_in(
    tiny_world: Path,
) -> None:
    with site(tiny_world) as (client, _):
        # an anonymous browser is sent to sign in, and back
        answer = client.get("/merchant/orders?status=paid", follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?next=/merchant/orders%3Fstatus%3Dpaid"
        # a consumer may not open the other consoles
        sign_in(client, tiny_world, "consumer")
        for path in ("/merchant", "/merchant/orders", "/creator", "/ops", "/ops/reviews"):
            page = client.get(path)
            assert page.status_code == 403, path
            assert "this page is for" in page.text


def test_a_merchant_cannot_open_or_ship_another_merchants_order(tiny_world: Path) -> None:
    with site(tiny_world) as (client, platform):
        # given a paid order at a shop that is not the demo merchant's
        order_id, _ = _order_at_another_shop(platform, tiny_world)
        sign_in(client, tiny_world, "merchant")
        token = csrf(client.get("/merchant").text)
        before = snapshot(platform)
        # when the demo merchant opens it, or tries to ship it
        page = client.get(f"/merchant/orders/{order_id}")
        shipped = client.post(
            f"/merchant/orders/{order_id}/ship",
            data={"csrf_token": token, "carrier": "SF", "tracking_no": "SF1"},
        )
        # then both are refused and nothing changed
        assert page.status_code == 403 and "neither yours nor your shop" in page.text
        assert shipped.status_code == 403
        assert snapshot(platform) == before


def test_a_merchant_cannot_see_another_merchants_product_reviews(tiny_world: Path) -> None:
    with site(tiny_world) as (client, platform):
        _, other_shop = _order_at_another_shop(platform, tiny_world)
        product_id = scalar(
            platform, "SELECT min(id) FROM products WHERE shop_id = :s", s=other_shop
        )
        sign_in(client, tiny_world, "merchant")
        page = client.get(f"/merchant/products/{product_id}")
        assert page.status_code == 403


@pytest.mark.parametrize(
    ("role", "path", "fields"),
    [
        ("consumer", "/behaviour", {"action": "like", "content_id": "1"}),
        ("consumer", "/orders", {"sku_id": "1", "quantity": "1", "key": "k-1"}),
        ("consumer", "/cart/items", {"sku_id": "1", "quantity": "1"}),
        ("creator", "/creator/selections", {"product_id": "1"}),
        ("merchant", "/merchant/products", {"shop_id": "1", "category_id": "1"}),
        ("operator", "/ops/reviews/1/decision", {"decision": "approve", "note": "n"}),
        ("operator", "/ops/appeals/1/decision", {"decision": "uphold", "note": "n"}),
        ("operator", "/ops/aftersales/1/ruling", {"decision": "uphold", "note": "n"}),
        ("operator", "/ops/tickets/1/messages", {"body": "hello"}),
        ("operator", "/ops/tickets/1/close", {"note": "n"}),
    ],
)
def test_console_forms_without_their_csrf_token_are_refused_and_change_nothing(
    role: str, path: str, fields: dict[str, str], tiny_world: Path
) -> None:
    with site(tiny_world) as (client, platform):
        sign_in(client, tiny_world, role)
        before = snapshot(platform)
        missing = client.post(path, data=fields)
        forged = client.post(path, data={**fields, "csrf_token": "0" * 64})
        for answer in (missing, forged):
            assert answer.status_code == 403
            assert "did not come from this site" in answer.text
        assert snapshot(platform) == before


def test_a_purchase_from_the_product_page_to_an_instant_refund(tiny_world: Path) -> None:
    with site(tiny_world) as (client, platform):
        # given the demo consumer on a product page opened from a content item
        sign_in(client, tiny_world, "consumer")
        content_id, product_id = (
            scalar(platform, "SELECT content_id FROM content_products ORDER BY content_id LIMIT 1"),
            scalar(platform, "SELECT product_id FROM content_products ORDER BY content_id LIMIT 1"),
        )
        page = client.get(f"/products/{product_id}?content={content_id}")
        assert page.status_code == 200
        sku_id = re.search(r'<option value="(\d+)"', page.text).group(1)  # type: ignore[union-attr]
        form = {"csrf_token": csrf(page.text), "key": key(page.text), "sku_id": sku_id,
                "quantity": "2", "content_id": str(content_id), "address": "1 Lane"}  # fmt: skip
        # when they buy now, twice with the same form (a double click)
        first = client.post("/orders", data=form, follow_redirects=False)
        again = client.post("/orders", data=form, follow_redirects=False)
        # then one order exists, carrying the content
        assert first.headers["location"] == again.headers["location"]
        order_id = int(first.headers["location"].split("/")[2].split("?")[0])
        assert (
            scalar(
                platform, "SELECT count(*) FROM orders WHERE idempotency_key = :k", k=form["key"]
            )
            == 1
        )
        assert (
            scalar(platform, "SELECT content_id FROM order_lines WHERE order_id = :o", o=order_id)
            == content_id
        )
        # when they pay and ask for a refund before it ships
        order_page = client.get(f"/orders/{order_id}")
        client.post(
            f"/orders/{order_id}/pay",
            data={"csrf_token": csrf(order_page.text), "key": key(order_page.text)},
        )
        paid = scalar(platform, "SELECT amount_fen FROM payments WHERE order_id = :o", o=order_id)
        order_page = client.get(f"/orders/{order_id}")
        asked = client.post(
            f"/orders/{order_id}/aftersales",
            data={"csrf_token": csrf(order_page.text), "key": key(order_page.text), "kind": "refund_only",
                  "reason_code": "changed_mind", "amount": f"{paid // 100}.{paid % 100:02d}"},
        )  # fmt: skip
        # then the money is back at once
        assert asked.status_code == 200 and "Refunded" in asked.text
        assert (
            scalar(platform, "SELECT refunded_fen FROM payments WHERE order_id = :o", o=order_id)
            == paid
        )


def test_a_refund_form_with_an_unreadable_amount_is_refused_and_changes_nothing(
    tiny_world: Path,
) -> None:
    with site(tiny_world) as (client, platform):
        order_id, _ = _order_at_another_shop(platform, tiny_world)
        sign_in(client, tiny_world, "consumer")
        page = client.get(f"/orders/{order_id}")
        before = snapshot(platform)
        answer = client.post(
            f"/orders/{order_id}/aftersales",
            data={"csrf_token": csrf(page.text), "key": key(page.text), "kind": "refund_only",
                  "reason_code": "changed_mind", "amount": "12,5 yuan"},
            headers={"Referer": f"http://testserver/orders/{order_id}"},
        )  # fmt: skip
        assert answer.status_code == 422
        assert "amount: an amount in yuan such as 12.50 is needed" in answer.text
        assert f'href="/orders/{order_id}">← Back to the page' in answer.text
        assert snapshot(platform) == before

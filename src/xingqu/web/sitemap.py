"""Each console's own pages (those without an id in their path), by the role that opens them:
what the page-speed benchmark times and the page tests render."""

from __future__ import annotations

CONSOLE_PAGES: dict[str, tuple[str, ...]] = {
    "consumer": ("/feed", "/feed?part=cards", "/cart", "/orders", "/tickets", "/tickets/new"),
    "creator": ("/creator", "/creator/marketplace", "/creator/selections", "/creator/commissions"),
    "merchant": (
        "/merchant",
        "/merchant/products",
        "/merchant/products/new",
        "/merchant/orders",
        "/merchant/aftersales",
        "/merchant/tickets",
        "/merchant/governance",
        "/merchant/statements",
    ),
    "operator": (
        "/ops",
        "/ops?days=90",
        "/ops/reviews",
        "/ops/cases",
        "/ops/appeals",
        "/ops/aftersales",
        "/ops/tickets",
        "/ops/rules",
        "/ops/report",
    ),
}

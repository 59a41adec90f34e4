"""Feed cards: what a page shows of each item the feed served."""

from __future__ import annotations

from dataclasses import dataclass

from xingqu.discovery.feed import FeedItem
from xingqu.web.labels import UNKNOWN_CATEGORY, CategoryLabel, duration


@dataclass(frozen=True, slots=True)
class ProductChip:
    product_id: int
    sku_id: int
    title_en: str
    title_zh: str
    price_fen: int


@dataclass(frozen=True, slots=True)
class Card:
    content_id: int
    kind: str
    title_en: str
    title_zh: str
    caption: str
    creator_id: int
    creator_name: str
    duration: str
    category: CategoryLabel
    channel: str
    reason: str
    products: list[ProductChip]


def card(item: FeedItem, labels: dict[int, CategoryLabel]) -> Card:
    return Card(
        content_id=item.content_id,
        kind=item.kind,
        title_en=item.title_en,
        title_zh=item.title_zh,
        caption=item.caption,
        creator_id=item.creator_id,
        creator_name=item.creator_name,
        duration=duration(item.kind, item.duration_s),
        category=labels.get(item.category_id, UNKNOWN_CATEGORY),
        channel=str(item.channel),
        reason=str(item.reason),
        products=[
            ProductChip(p.product_id, p.sku_id, p.title_en, p.title_zh, p.min_price_fen)
            for p in item.products
        ],
    )

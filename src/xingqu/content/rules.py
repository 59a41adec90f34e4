"""Pure content rules: kinds, lifecycle and the limits a creator's input must respect. No I/O."""

from __future__ import annotations

from enum import StrEnum

from xingqu.content.errors import ContentError
from xingqu.shared.errors import conflict, invalid

MAX_TITLE = 120
MAX_CAPTION = 2_000
MAX_COVER_URL = 300
MAX_PRODUCTS = 20
MAX_DURATION_S = 24 * 3600
MAX_CREATOR_NAME = 80
MAX_BIO = 1_000
MAX_REMOVAL_REASON = 200


class ContentKind(StrEnum):
    VIDEO = "video"
    LIVE = "live"  # duration_s is the planned length of the stream
    POST = "post"  # an image post: duration_s is 0


class ContentStatus(StrEnum):
    PUBLISHED = "published"
    REMOVED = "removed"


def validate_creator(name: str, bio: str) -> None:
    if not name.strip() or len(name.strip()) > MAX_CREATOR_NAME:
        raise invalid(
            ContentError.INVALID_CREATOR, f"creator names are 1–{MAX_CREATOR_NAME} characters"
        )
    if len(bio) > MAX_BIO:
        raise invalid(ContentError.INVALID_CREATOR, f"a bio is at most {MAX_BIO} characters")


def validate_content(
    kind: str,
    title_en: str,
    title_zh: str,
    caption: str,
    cover_url: str,
    duration_s: int,
    product_ids: list[int],
) -> ContentKind:
    """Structural checks on a new content item; returns its kind."""
    try:
        parsed = ContentKind(kind)
    except ValueError:
        kinds = ", ".join(k.value for k in ContentKind)
        raise invalid(
            ContentError.INVALID_CONTENT, f"kind must be one of {kinds}, got {kind!r}"
        ) from None
    if not title_en.strip() and not title_zh.strip():
        raise invalid(ContentError.INVALID_CONTENT, "content needs an English or a Chinese title")
    if len(title_en.strip()) > MAX_TITLE or len(title_zh.strip()) > MAX_TITLE:
        raise invalid(ContentError.INVALID_CONTENT, f"titles are at most {MAX_TITLE} characters")
    if len(caption) > MAX_CAPTION:
        raise invalid(
            ContentError.INVALID_CONTENT, f"a caption is at most {MAX_CAPTION} characters"
        )
    if len(cover_url) > MAX_COVER_URL:
        raise invalid(
            ContentError.INVALID_CONTENT, f"a cover URL is at most {MAX_COVER_URL} characters"
        )
    validate_duration(parsed, duration_s)
    if len(set(product_ids)) != len(product_ids):
        raise invalid(ContentError.INVALID_CONTENT, "a product can be mounted only once")
    check_product_room(0, len(product_ids))
    return parsed


def validate_duration(kind: ContentKind, duration_s: int) -> None:
    if type(duration_s) is not int or not 0 <= duration_s <= MAX_DURATION_S:
        raise invalid(
            ContentError.INVALID_CONTENT,
            f"duration must be 0..{MAX_DURATION_S} seconds, got {duration_s!r}",
        )
    if kind == ContentKind.POST and duration_s != 0:
        raise invalid(ContentError.INVALID_CONTENT, "a post has no duration (0 seconds)")
    if kind == ContentKind.VIDEO and duration_s == 0:
        raise invalid(ContentError.INVALID_CONTENT, "a video lasts at least one second")


def check_product_room(mounted: int, adding: int) -> None:
    """At most `MAX_PRODUCTS` products on one content item."""
    if mounted + adding > MAX_PRODUCTS:
        raise conflict(
            ContentError.TOO_MANY_PRODUCTS,
            f"a content item carries at most {MAX_PRODUCTS} products",
            mounted=mounted,
            limit=MAX_PRODUCTS,
        )


def validate_removal_reason(reason: str) -> str:
    cleaned = reason.strip()
    if not cleaned or len(cleaned) > MAX_REMOVAL_REASON:
        raise invalid(
            ContentError.INVALID_CONTENT, f"a removal reason is 1–{MAX_REMOVAL_REASON} characters"
        )
    return cleaned

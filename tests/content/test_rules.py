import pytest

from xingqu.content.rules import (
    MAX_PRODUCTS,
    ContentKind,
    check_product_room,
    validate_content,
    validate_creator,
    validate_removal_reason,
)
from xingqu.shared.errors import DomainError, ErrorKind


def _content(**kw: object) -> ContentKind:
    args: dict[str, object] = {
        "kind": "video",
        "title_en": "Serum test",
        "title_zh": "",
        "caption": "",
        "cover_url": "",
        "duration_s": 30,
        "product_ids": [],
    }
    args.update(kw)
    return validate_content(**args)  # type: ignore[arg-type]


def test_valid_content_returns_its_kind() -> None:
    assert _content() == ContentKind.VIDEO
    assert _content(kind="post", duration_s=0) == ContentKind.POST
    assert _content(kind="live", duration_s=0) == ContentKind.LIVE
    assert (
        _content(kind="live", duration_s=24 * 3600, title_en="", title_zh="直播")
        == ContentKind.LIVE
    )
    assert _content(product_ids=list(range(1, MAX_PRODUCTS + 1))) == ContentKind.VIDEO


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"kind": "story"}, "content.invalid_content"),
        ({"title_en": " ", "title_zh": ""}, "content.invalid_content"),
        ({"title_en": "x" * 121}, "content.invalid_content"),
        ({"title_zh": "字" * 121}, "content.invalid_content"),
        ({"caption": "c" * 2001}, "content.invalid_content"),
        ({"duration_s": -1}, "content.invalid_content"),
        ({"duration_s": 24 * 3600 + 1}, "content.invalid_content"),
        ({"duration_s": 1.5}, "content.invalid_content"),
        ({"kind": "post", "duration_s": 10}, "content.invalid_content"),
        ({"kind": "video", "duration_s": 0}, "content.invalid_content"),
        ({"product_ids": [3, 3]}, "content.invalid_content"),
        ({"product_ids": list(range(1, MAX_PRODUCTS + 2))}, "content.too_many_products"),
    ],
)
def test_invalid_content_is_refused(change: dict[str, object], code: str) -> None:
    with pytest.raises(DomainError) as err:
        _content(**change)
    assert str(err.value.code) == code


def test_product_room_is_twenty() -> None:
    check_product_room(19, 1)
    with pytest.raises(DomainError) as err:
        check_product_room(20, 1)
    assert (err.value.code, err.value.kind) == ("content.too_many_products", ErrorKind.CONFLICT)


def test_creator_and_removal_reason_checks() -> None:
    validate_creator("小美 Mei", "bio")
    for name, bio in (("", ""), ("x" * 81, ""), ("ok", "b" * 1001)):
        with pytest.raises(DomainError):
            validate_creator(name, bio)
    assert validate_removal_reason("  counterfeit  ") == "counterfeit"
    with pytest.raises(DomainError):
        validate_removal_reason("   ")

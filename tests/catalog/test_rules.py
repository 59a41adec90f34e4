import pytest

from xingqu.catalog.errors import CatalogError
from xingqu.catalog.rules import (
    ProductStatus,
    ShopStatus,
    SkuSpec,
    check_product_transition,
    is_sellable,
    validate_listing,
)
from xingqu.shared.errors import DomainError, ErrorKind


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (ProductStatus.LIVE, ProductStatus.DELISTED),
        (ProductStatus.DELISTED, ProductStatus.LIVE),
        (ProductStatus.UNDER_REVIEW, ProductStatus.LIVE),
        (ProductStatus.UNDER_REVIEW, ProductStatus.REJECTED),
        (ProductStatus.REJECTED, ProductStatus.UNDER_REVIEW),
    ],
)
def test_allowed_product_transitions(current: ProductStatus, target: ProductStatus) -> None:
    check_product_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (ProductStatus.LIVE, ProductStatus.LIVE),
        (ProductStatus.REJECTED, ProductStatus.LIVE),
        (ProductStatus.UNDER_REVIEW, ProductStatus.DELISTED),
        (ProductStatus.DELISTED, ProductStatus.REJECTED),
    ],
)
def test_forbidden_product_transitions(current: ProductStatus, target: ProductStatus) -> None:
    with pytest.raises(DomainError) as err:
        check_product_transition(current, target)
    assert err.value.code == CatalogError.INVALID_TRANSITION
    assert err.value.kind == ErrorKind.CONFLICT
    assert err.value.details == {"current": str(current), "target": str(target)}


@pytest.mark.parametrize(
    ("title_en", "title_zh", "skus", "code"),
    [
        ("", " ", [SkuSpec("a", 100, 1)], CatalogError.INVALID_PRODUCT),
        ("x" * 121, "", [SkuSpec("a", 100, 1)], CatalogError.INVALID_PRODUCT),
        ("ok", "", [], CatalogError.INVALID_PRODUCT),
        ("ok", "", [SkuSpec("a", 100, 1), SkuSpec("a", 200, 1)], CatalogError.INVALID_PRODUCT),
        ("ok", "", [SkuSpec("a", 0, 1)], CatalogError.INVALID_PRODUCT),
        ("ok", "", [SkuSpec("a", 100, -1)], CatalogError.INVALID_STOCK),
    ],
)
def test_invalid_listings(
    title_en: str, title_zh: str, skus: list[SkuSpec], code: CatalogError
) -> None:
    with pytest.raises(DomainError) as err:
        validate_listing(title_en, title_zh, skus)
    assert err.value.code == code


def test_only_live_products_of_active_shops_are_sellable() -> None:
    assert is_sellable(ProductStatus.LIVE, ShopStatus.ACTIVE)
    assert not is_sellable(ProductStatus.DELISTED, ShopStatus.ACTIVE)
    assert not is_sellable(ProductStatus.UNDER_REVIEW, ShopStatus.ACTIVE)
    assert not is_sellable(ProductStatus.LIVE, ShopStatus.SUSPENDED)

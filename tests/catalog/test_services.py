import pytest
from sqlalchemy import select

from tests import factories
from xingqu.bootstrap import Platform
from xingqu.catalog import services
from xingqu.catalog.errors import CatalogError
from xingqu.catalog.models import Sku
from xingqu.catalog.rules import ProductStatus, SkuSpec
from xingqu.shared.errors import DomainError, SharedError
from xingqu.store.outbox import OutboxEvent


def _events(p: Platform) -> list[tuple[str, dict[str, object]]]:
    with p.uow(readonly=True) as uow:
        return [
            (e.name, e.payload)
            for e in uow.session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))
        ]


def test_category_tree_has_levels(platform: Platform) -> None:
    leaf = factories.leaf_category(platform)
    from xingqu.catalog.queries import category_tree

    tree = category_tree(platform.uow(readonly=True))
    assert [(c.code, c.level) for c in tree] == [
        ("beauty", 1),
        ("beauty.skincare", 2),
        ("beauty.skincare.serum", 3),
    ]
    assert tree[-1].id == leaf and tree[-1].parent_id == tree[1].id


def test_merchant_lists_a_product_with_skus_and_an_event(platform: Platform) -> None:
    # given
    owner, shop_id = factories.merchant(platform)
    # when
    product = factories.product(platform, owner, shop_id, price_fen=12_345, stock=7)
    # then
    assert product.status == ProductStatus.LIVE
    assert [(s.name, s.price_fen, s.currency, s.stock) for s in product.skus] == [
        ("30ml", 12_345, "CNY", 7)
    ]
    assert _events(platform)[-1] == (
        "catalog.product_listed",
        {
            "product_id": product.id,
            "shop_id": shop_id,
            "category_id": product.category_id,
            "status": "live",
        },
    )


def test_a_merchant_cannot_list_in_another_merchants_shop(platform: Platform) -> None:
    # given
    _, shop_id = factories.merchant(platform)
    intruder, _ = factories.merchant(platform)
    leaf = factories.leaf_category(platform)
    before = factories.snapshot(platform)
    # when
    with pytest.raises(DomainError) as err:
        services.create_product(
            platform.uow(),
            intruder,
            services.CreateProduct(shop_id, leaf, "Stolen", "", [SkuSpec("one", 100, 1)]),
        )
    # then
    assert err.value.code == SharedError.FORBIDDEN
    assert factories.snapshot(platform) == before


def test_a_consumer_cannot_list_products(platform: Platform) -> None:
    _, shop_id = factories.merchant(platform)
    buyer = factories.consumer(platform)
    leaf = factories.leaf_category(platform)
    before = factories.snapshot(platform)
    with pytest.raises(DomainError) as err:
        services.create_product(
            platform.uow(),
            buyer,
            services.CreateProduct(shop_id, leaf, "X", "", [SkuSpec("a", 1, 1)]),
        )
    assert err.value.code == SharedError.FORBIDDEN
    assert factories.snapshot(platform) == before


def test_products_go_in_leaf_categories_only(platform: Platform) -> None:
    owner, shop_id = factories.merchant(platform)
    factories.leaf_category(platform)
    with platform.uow(readonly=True) as uow:
        from xingqu.catalog.models import Category

        parent = uow.session.scalar(select(Category.id).where(Category.code == "beauty.skincare"))
    assert parent is not None
    before = factories.snapshot(platform)
    with pytest.raises(DomainError) as err:
        services.create_product(
            platform.uow(),
            owner,
            services.CreateProduct(shop_id, parent, "X", "", [SkuSpec("a", 1, 1)]),
        )
    assert err.value.code == CatalogError.CATEGORY_NOT_LEAF
    assert factories.snapshot(platform) == before


def test_delist_and_relist(platform: Platform) -> None:
    owner, shop_id = factories.merchant(platform)
    product = factories.product(platform, owner, shop_id)
    assert (
        services.delist_product(platform.uow(), owner, product.id).status == ProductStatus.DELISTED
    )
    before = factories.snapshot(platform)
    with pytest.raises(DomainError) as err:
        services.delist_product(platform.uow(), owner, product.id)
    assert err.value.code == CatalogError.INVALID_TRANSITION
    assert factories.snapshot(platform) == before
    assert services.relist_product(platform.uow(), owner, product.id).status == ProductStatus.LIVE
    assert [n for n, _ in _events(platform)][-2:] == ["catalog.product_status_changed"] * 2


def test_reserve_stock_never_goes_negative(platform: Platform) -> None:
    owner, shop_id = factories.merchant(platform)
    sku_id = factories.product(platform, owner, shop_id, stock=3).skus[0].id
    with platform.uow() as uow:
        services.reserve_stock(uow, sku_id, 2)
        with pytest.raises(DomainError) as err:
            services.reserve_stock(uow, sku_id, 2)
        assert err.value.code == CatalogError.OUT_OF_STOCK
        uow.commit()
    with platform.uow(readonly=True) as uow:
        assert uow.session.scalar(select(Sku.stock).where(Sku.id == sku_id)) == 1


def test_sellable_sku_refuses_delisted_products(platform: Platform) -> None:
    owner, shop_id = factories.merchant(platform)
    product = factories.product(platform, owner, shop_id, price_fen=500)
    with platform.uow() as uow:
        snap = services.sellable_sku(uow, product.skus[0].id)
    assert (snap.product_id, snap.shop_id, snap.unit_price.amount, snap.sku_name) == (
        product.id,
        shop_id,
        500,
        "30ml",
    )
    services.delist_product(platform.uow(), owner, product.id)
    with platform.uow() as uow, pytest.raises(DomainError) as err:
        services.sellable_sku(uow, product.skus[0].id)
    assert err.value.code == CatalogError.PRODUCT_NOT_AVAILABLE


def test_adjust_stock_validates_and_records(platform: Platform) -> None:
    owner, shop_id = factories.merchant(platform)
    sku_id = factories.product(platform, owner, shop_id, stock=2).skus[0].id
    assert services.adjust_stock(platform.uow(), owner, sku_id, 5).stock == 7
    before = factories.snapshot(platform)
    with pytest.raises(DomainError) as err:
        services.adjust_stock(platform.uow(), owner, sku_id, -8)
    assert err.value.code == CatalogError.INVALID_STOCK
    assert factories.snapshot(platform) == before

"""Categories, programme tags, merchants/shops, products and SKUs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import Field

from xingqu.api.deps import CurrentActor, PageDep, PlatformDep
from xingqu.api.schemas import ERRORS, PageOf, Public, Strict
from xingqu.catalog import queries, services
from xingqu.catalog.rules import MAX_TITLE, ProductStatus, SkuSpec

router = APIRouter(tags=["catalog"], responses=ERRORS)  # type: ignore[arg-type]


class CategoryCreate(Strict):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_.-]+$")
    name_en: str = Field(min_length=1, max_length=80)
    name_zh: str = Field(min_length=1, max_length=80)
    parent_code: str | None = None


class CategoryPublic(Public):
    id: int
    parent_id: int | None
    code: str
    name_en: str
    name_zh: str
    level: int


class ProgrammeTagPublic(Public):
    code: str
    name_en: str
    name_zh: str
    description: str


class MerchantCreate(Strict):
    name: str = Field(min_length=1, max_length=120)
    shop_name: str = Field(min_length=1, max_length=120)
    programme_tag: str | None = None


class ShopPublic(Public):
    id: int
    merchant_id: int
    name: str
    status: str
    programme_tag: str | None
    created_at: datetime


class SkuCreate(Strict):
    name: str = Field(min_length=1, max_length=80)
    price_fen: int = Field(gt=0, description="price in fen (1/100 CNY)")
    stock: int = Field(ge=0)


class SkuPublic(Public):
    id: int
    name: str
    price_fen: int
    currency: str
    stock: int


class ProductCreate(Strict):
    shop_id: int
    category_id: int
    title_en: str = Field(default="", max_length=MAX_TITLE)
    title_zh: str = Field(default="", max_length=MAX_TITLE)
    description: str = Field(default="", max_length=10_000)
    cover_url: str = Field(default="", max_length=300)
    skus: list[SkuCreate] = Field(min_length=1, max_length=50)
    tags: list[str] = Field(default=[], max_length=10)


class ProductUpdate(Strict):
    title_en: str | None = Field(default=None, max_length=MAX_TITLE)
    title_zh: str | None = Field(default=None, max_length=MAX_TITLE)
    description: str | None = Field(default=None, max_length=10_000)
    cover_url: str | None = Field(default=None, max_length=300)
    category_id: int | None = None


class ProductPublic(Public):
    id: int
    shop_id: int
    category_id: int
    title_en: str
    title_zh: str
    description: str
    cover_url: str
    status: str
    tag_codes: list[str]
    skus: list[SkuPublic]
    created_at: datetime
    updated_at: datetime


class StockAdjust(Strict):
    delta: int = Field(description="units to add (negative to remove)")


class PriceSet(Strict):
    price_fen: int = Field(gt=0)


@router.get("/categories")
def list_categories(platform: PlatformDep) -> list[CategoryPublic]:
    """The whole category tree, parents before children."""
    return [
        CategoryPublic.model_validate(c) for c in queries.category_tree(platform.uow(readonly=True))
    ]


@router.post("/categories", status_code=status.HTTP_201_CREATED)
def create_category(
    body: CategoryCreate, actor: CurrentActor, platform: PlatformDep
) -> CategoryPublic:
    """Operators only."""
    created = services.create_category(
        platform.uow(), actor, services.CreateCategory(**body.model_dump())
    )
    return CategoryPublic.model_validate(created)


@router.get("/programme-tags")
def list_programme_tags(platform: PlatformDep) -> list[ProgrammeTagPublic]:
    return [
        ProgrammeTagPublic.model_validate(t)
        for t in queries.programme_tags(platform.uow(readonly=True))
    ]


@router.post("/merchants", status_code=status.HTTP_201_CREATED)
def register_merchant(
    body: MerchantCreate, actor: CurrentActor, platform: PlatformDep
) -> ShopPublic:
    """Open your merchant account and first shop (needs the merchant role)."""
    shop = services.register_merchant(
        platform.uow(), actor, services.RegisterMerchant(**body.model_dump())
    )
    return ShopPublic.model_validate(shop)


@router.get("/shops/mine")
def my_shops(actor: CurrentActor, platform: PlatformDep) -> list[ShopPublic]:
    return [
        ShopPublic.model_validate(s)
        for s in queries.shops_of_user(platform.uow(readonly=True), actor.user_id)
    ]


@router.get("/shops/{shop_id}")
def get_shop(shop_id: int, platform: PlatformDep) -> ShopPublic:
    return ShopPublic.model_validate(queries.get_shop(platform.uow(readonly=True), shop_id))


@router.get("/products")
def list_products(
    platform: PlatformDep,
    page: PageDep,
    shop_id: Annotated[int | None, Query()] = None,
    category_id: Annotated[int | None, Query()] = None,
) -> PageOf[ProductPublic]:
    """Products on sale, optionally by shop or category."""
    result = queries.list_products(
        platform.uow(readonly=True), page, shop_id=shop_id, category_id=category_id
    )
    return PageOf[ProductPublic](
        items=[ProductPublic.model_validate(p) for p in result.items],
        total=result.total,
        limit=result.limit,
        offset=result.offset,
    )


@router.get("/products/{product_id}")
def get_product(product_id: int, platform: PlatformDep) -> ProductPublic:
    return ProductPublic.model_validate(
        queries.get_product(platform.uow(readonly=True), product_id)
    )


@router.post("/products", status_code=status.HTTP_201_CREATED)
def create_product(
    body: ProductCreate, actor: CurrentActor, platform: PlatformDep
) -> ProductPublic:
    """List a product in one of your shops."""
    cmd = services.CreateProduct(
        shop_id=body.shop_id,
        category_id=body.category_id,
        title_en=body.title_en,
        title_zh=body.title_zh,
        description=body.description,
        cover_url=body.cover_url,
        skus=[SkuSpec(s.name, s.price_fen, s.stock) for s in body.skus],
        tags=body.tags,
    )
    return ProductPublic.model_validate(services.create_product(platform.uow(), actor, cmd))


@router.patch("/products/{product_id}")
def update_product(
    product_id: int, body: ProductUpdate, actor: CurrentActor, platform: PlatformDep
) -> ProductPublic:
    cmd = services.UpdateProduct(product_id=product_id, **body.model_dump())
    return ProductPublic.model_validate(services.update_product(platform.uow(), actor, cmd))


@router.post("/products/{product_id}/delist")
def delist_product(product_id: int, actor: CurrentActor, platform: PlatformDep) -> ProductPublic:
    return ProductPublic.model_validate(services.delist_product(platform.uow(), actor, product_id))


@router.post("/products/{product_id}/relist")
def relist_product(product_id: int, actor: CurrentActor, platform: PlatformDep) -> ProductPublic:
    return ProductPublic.model_validate(services.relist_product(platform.uow(), actor, product_id))


@router.post("/skus/{sku_id}/stock")
def adjust_stock(
    sku_id: int, body: StockAdjust, actor: CurrentActor, platform: PlatformDep
) -> SkuPublic:
    return SkuPublic.model_validate(
        services.adjust_stock(platform.uow(), actor, sku_id, body.delta)
    )


@router.put("/skus/{sku_id}/price")
def set_price(sku_id: int, body: PriceSet, actor: CurrentActor, platform: PlatformDep) -> SkuPublic:
    return SkuPublic.model_validate(
        services.set_sku_price(platform.uow(), actor, sku_id, body.price_fen)
    )


__all__ = ["ProductStatus", "router"]

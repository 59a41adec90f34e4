"""Catalog use cases (one transaction each) and the calls other contexts make inside theirs."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update

from xingqu.catalog import events
from xingqu.catalog.errors import CatalogError
from xingqu.catalog.models import Category, Merchant, Product, ProductTag, ProgrammeTag, Shop, Sku
from xingqu.catalog.rules import (
    PRODUCT_TRANSITIONS,
    ProductStatus,
    ShopStatus,
    SkuSpec,
    check_product_transition,
    is_sellable,
    validate_listing,
    validate_price,
    validate_stock,
)
from xingqu.governance import review as listing_review
from xingqu.shared.access import Actor, Role
from xingqu.shared.errors import conflict, forbidden, invalid, not_found
from xingqu.shared.money import Money
from xingqu.store.uow import UnitOfWork

# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateCategory:
    code: str
    name_en: str
    name_zh: str
    parent_code: str | None = None


@dataclass(frozen=True, slots=True)
class CreateProgrammeTag:
    code: str
    name_en: str
    name_zh: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class RegisterMerchant:
    name: str
    shop_name: str
    programme_tag: str | None = None


@dataclass(frozen=True, slots=True)
class CreateProduct:
    shop_id: int
    category_id: int
    title_en: str
    title_zh: str
    skus: list[SkuSpec]
    description: str = ""
    cover_url: str = ""
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class UpdateProduct:
    product_id: int
    title_en: str | None = None
    title_zh: str | None = None
    description: str | None = None
    cover_url: str | None = None
    category_id: int | None = None


@dataclass(frozen=True, slots=True)
class SkuSnapshot:
    """What trade needs to know about a SKU at order time."""

    sku_id: int
    product_id: int
    shop_id: int
    merchant_id: int
    category_id: int
    title: str
    sku_name: str
    unit_price: Money


# --- operator use cases -----------------------------------------------------------------------


def create_category(uow: UnitOfWork, actor: Actor, cmd: CreateCategory) -> Category:
    actor.require(Role.OPERATOR)
    with uow:
        s = uow.session
        if s.scalar(select(Category.id).where(Category.code == cmd.code)) is not None:
            raise conflict(CatalogError.CATEGORY_CODE_TAKEN, f"category code {cmd.code!r} is taken")
        level, parent_id = 1, None
        if cmd.parent_code is not None:
            parent = s.scalar(select(Category).where(Category.code == cmd.parent_code))
            if parent is None:
                raise not_found(CatalogError.CATEGORY_NOT_FOUND, "category", cmd.parent_code)
            level, parent_id = parent.level + 1, parent.id
        category = Category(
            code=cmd.code,
            name_en=cmd.name_en,
            name_zh=cmd.name_zh,
            level=level,
            parent_id=parent_id,
        )
        s.add(category)
        uow.commit()
        return category


def create_programme_tag(uow: UnitOfWork, actor: Actor, cmd: CreateProgrammeTag) -> ProgrammeTag:
    actor.require(Role.OPERATOR)
    with uow:
        if uow.session.get(ProgrammeTag, cmd.code) is not None:
            raise conflict(CatalogError.INVALID_PRODUCT, f"programme tag {cmd.code!r} exists")
        tag = ProgrammeTag(
            code=cmd.code, name_en=cmd.name_en, name_zh=cmd.name_zh, description=cmd.description
        )
        uow.session.add(tag)
        uow.commit()
        return tag


# --- merchant use cases -----------------------------------------------------------------------


def register_merchant(uow: UnitOfWork, actor: Actor, cmd: RegisterMerchant) -> Shop:
    """A user with the merchant role opens their merchant account and first shop."""
    actor.require(Role.MERCHANT)
    if not cmd.name.strip() or not cmd.shop_name.strip():
        raise invalid(CatalogError.INVALID_PRODUCT, "merchant and shop names must not be empty")
    with uow:
        s = uow.session
        if s.scalar(select(Merchant.id).where(Merchant.owner_user_id == actor.user_id)) is not None:
            raise conflict(CatalogError.MERCHANT_EXISTS, "you already have a merchant account")
        if cmd.programme_tag is not None and s.get(ProgrammeTag, cmd.programme_tag) is None:
            raise not_found(CatalogError.TAG_NOT_FOUND, "programme tag", cmd.programme_tag)
        now = uow.clock.now()
        merchant = Merchant(owner_user_id=actor.user_id, name=cmd.name.strip(), created_at=now)
        s.add(merchant)
        s.flush()
        shop = Shop(
            merchant_id=merchant.id,
            name=cmd.shop_name.strip(),
            status=ShopStatus.ACTIVE,
            programme_tag=cmd.programme_tag,
            created_at=now,
        )
        s.add(shop)
        s.flush()
        uow.emit(
            events.MerchantRegistered(
                merchant_id=merchant.id, shop_id=shop.id, owner_user_id=actor.user_id
            )
        )
        uow.commit()
        return shop


def create_product(uow: UnitOfWork, actor: Actor, cmd: CreateProduct) -> Product:
    validate_listing(cmd.title_en, cmd.title_zh, cmd.skus)
    with uow:
        s = uow.session
        shop = _owned_shop(uow, actor, cmd.shop_id)
        _require_active(shop)
        _leaf_category(uow, cmd.category_id)
        tags = sorted(set(cmd.tags))
        for code in tags:
            if s.get(ProgrammeTag, code) is None:
                raise not_found(CatalogError.TAG_NOT_FOUND, "programme tag", code)
        now = uow.clock.now()
        product = Product(
            shop_id=shop.id,
            category_id=cmd.category_id,
            title_en=cmd.title_en.strip(),
            title_zh=cmd.title_zh.strip(),
            description=cmd.description,
            cover_url=cmd.cover_url,
            status=ProductStatus.UNDER_REVIEW,  # until listing review, below, decides
            created_at=now,
            updated_at=now,
            skus=[Sku(name=k.name.strip(), price_fen=k.price_fen, stock=k.stock) for k in cmd.skus],
            tags=[ProductTag(tag_code=code) for code in tags],
        )
        s.add(product)
        s.flush()
        _review(uow, product, "create")
        uow.emit(
            events.ProductListed(
                product_id=product.id,
                shop_id=shop.id,
                category_id=product.category_id,
                status=product.status,
            )
        )
        uow.commit()
        return product


def update_product(uow: UnitOfWork, actor: Actor, cmd: UpdateProduct) -> Product:
    with uow:
        product = _owned_product(uow, actor, cmd.product_id)
        changed: list[str] = []
        for name in ("title_en", "title_zh", "description", "cover_url"):
            value = getattr(cmd, name)
            if value is not None and value != getattr(product, name):
                setattr(product, name, value.strip() if name.startswith("title") else value)
                changed.append(name)
        if cmd.category_id is not None and cmd.category_id != product.category_id:
            _leaf_category(uow, cmd.category_id)
            product.category_id = cmd.category_id
            changed.append("category_id")
        validate_listing(
            product.title_en,
            product.title_zh,
            [SkuSpec(k.name, k.price_fen, k.stock) for k in product.skus],
        )
        if changed:
            product.updated_at = uow.clock.now()
            uow.emit(events.ProductUpdated(product_id=product.id, fields=changed))
            if set(changed) - {"cover_url"}:
                _review(uow, product, "edit")
        uow.commit()
        return product


def delist_product(
    uow: UnitOfWork, actor: Actor, product_id: int, reason: str = "merchant"
) -> Product:
    """Take a product off sale (its merchant, or an operator)."""
    return _change_status(uow, actor, product_id, ProductStatus.DELISTED, reason)


def relist_product(uow: UnitOfWork, actor: Actor, product_id: int) -> Product:
    return _change_status(uow, actor, product_id, ProductStatus.LIVE, "relisted")


def _change_status(
    uow: UnitOfWork, actor: Actor, product_id: int, target: ProductStatus, reason: str
) -> Product:
    with uow:
        product = _owned_product(uow, actor, product_id)
        old = ProductStatus(product.status)
        check_product_transition(old, target)
        if target == ProductStatus.LIVE and not actor.is_operator:
            listing_review.require_approved(uow, product.id)
        product.status = target
        product.updated_at = uow.clock.now()
        uow.emit(
            events.ProductStatusChanged(
                product_id=product.id, old_status=old, new_status=target, reason=reason
            )
        )
        uow.commit()
        return product


def adjust_stock(uow: UnitOfWork, actor: Actor, sku_id: int, delta: int) -> Sku:
    """Add (or with a negative delta, remove) units of a SKU's stock."""
    if type(delta) is not int or delta == 0:
        raise invalid(CatalogError.INVALID_STOCK, "delta must be a non-zero integer")
    with uow:
        sku = uow.session.get(Sku, sku_id)
        if sku is None:
            raise not_found(CatalogError.SKU_NOT_FOUND, "SKU", sku_id)
        _owned_product(uow, actor, sku.product_id)
        validate_stock(sku.stock + delta)
        sku.stock += delta
        uow.emit(events.StockAdjusted(sku_id=sku.id, delta=delta, stock=sku.stock))
        uow.commit()
        return sku


def set_sku_price(uow: UnitOfWork, actor: Actor, sku_id: int, price_fen: int) -> Sku:
    validate_price(price_fen)
    with uow:
        sku = uow.session.get(Sku, sku_id)
        if sku is None:
            raise not_found(CatalogError.SKU_NOT_FOUND, "SKU", sku_id)
        product = _owned_product(uow, actor, sku.product_id)
        sku.price_fen = price_fen
        product.updated_at = uow.clock.now()
        uow.emit(events.ProductUpdated(product_id=product.id, fields=[f"sku:{sku.id}:price_fen"]))
        _review(uow, product, "edit")
        uow.commit()
        return sku


# --- calls made by other contexts inside their own transaction --------------------------------


def sellable_sku(uow: UnitOfWork, sku_id: int) -> SkuSnapshot:
    """The SKU as it can be bought now; raises if it does not exist or is not on sale."""
    uow.require_active()
    row = uow.session.execute(
        select(Sku, Product, Shop)
        .join(Product, Sku.product_id == Product.id)
        .join(Shop, Product.shop_id == Shop.id)
        .where(Sku.id == sku_id)
    ).first()
    if row is None:
        raise not_found(CatalogError.SKU_NOT_FOUND, "SKU", sku_id)
    sku, product, shop = row
    if not is_sellable(ProductStatus(product.status), ShopStatus(shop.status)):
        raise conflict(
            CatalogError.PRODUCT_NOT_AVAILABLE,
            f"product {product.id} is not on sale ({product.status}, shop {shop.status})",
            product_id=product.id,
        )
    return SkuSnapshot(
        sku_id=sku.id,
        product_id=product.id,
        shop_id=shop.id,
        merchant_id=shop.merchant_id,
        category_id=product.category_id,
        title=product.title,
        sku_name=sku.name,
        unit_price=Money(sku.price_fen, sku.currency),
    )


def reserve_stock(uow: UnitOfWork, sku_id: int, quantity: int) -> None:
    """Take `quantity` units atomically; never lets stock go below zero, even under concurrency."""
    uow.require_active()
    if type(quantity) is not int or quantity <= 0:
        raise invalid(CatalogError.INVALID_STOCK, "quantity must be a positive integer")
    result = uow.session.execute(
        update(Sku)
        .where(Sku.id == sku_id, Sku.stock >= quantity)
        .values(stock=Sku.stock - quantity)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise conflict(
            CatalogError.OUT_OF_STOCK,
            f"SKU {sku_id} has fewer than {quantity} units left",
            sku_id=sku_id,
        )
    _expire_sku(uow, sku_id)


def release_stock(uow: UnitOfWork, sku_id: int, quantity: int) -> None:
    """Give back units taken by `reserve_stock` (order cancelled)."""
    uow.require_active()
    if type(quantity) is not int or quantity <= 0:
        raise invalid(CatalogError.INVALID_STOCK, "quantity must be a positive integer")
    uow.session.execute(
        update(Sku)
        .where(Sku.id == sku_id)
        .values(stock=Sku.stock + quantity)
        .execution_options(synchronize_session=False)
    )
    _expire_sku(uow, sku_id)


def shop_owner_user_id(uow: UnitOfWork, shop_id: int) -> int:
    uow.require_active()
    owner = uow.session.scalar(
        select(Merchant.owner_user_id)
        .join(Shop, Shop.merchant_id == Merchant.id)
        .where(Shop.id == shop_id)
    )
    if owner is None:
        raise not_found(CatalogError.SHOP_NOT_FOUND, "shop", shop_id)
    return owner


def owns_shop(uow: UnitOfWork, actor: Actor, shop_id: int) -> bool:
    """The actor is the merchant who owns the shop (an operator is not an owner)."""
    uow.require_active()
    return actor.has(Role.MERCHANT) and shop_owner_user_id(uow, shop_id) == actor.user_id


def require_shop_access(uow: UnitOfWork, actor: Actor, shop_id: int, message: str) -> None:
    """Operators, or the merchant who owns the shop; anyone else gets `forbidden(message)`."""
    uow.require_active()
    if actor.is_operator:
        return
    actor.require(Role.MERCHANT)
    if shop_owner_user_id(uow, shop_id) != actor.user_id:
        raise forbidden(message)


def merchant_of_user(uow: UnitOfWork, user_id: int) -> Merchant | None:
    uow.require_active()
    return uow.session.scalar(select(Merchant).where(Merchant.owner_user_id == user_id))


# --- listing review and governance's calls, inside the caller's transaction --------------------


def _review(uow: UnitOfWork, product: Product, trigger: str) -> None:
    """Governance reviews the listing as it now is; its decision sets the status (approve or
    watch: live; review: held under review; reject: rejected). A product the merchant had
    delisted stays delisted unless rejected."""
    uow.session.flush()
    verdict = listing_review.review_listing(uow, listing_facts(uow, product.id), trigger=trigger)
    current = ProductStatus(product.status)
    decision = verdict.decision
    reason = f"review:{decision}"
    if decision == listing_review.Decision.REJECT:
        _walk_status(uow, product, ProductStatus.REJECTED, reason)
    elif current == ProductStatus.DELISTED:
        return
    elif decision == listing_review.Decision.REVIEW:
        _walk_status(uow, product, ProductStatus.UNDER_REVIEW, reason)
    else:
        _walk_status(uow, product, ProductStatus.LIVE, reason)


def listing_facts(uow: UnitOfWork, product_id: int) -> listing_review.ListingFacts:
    """The listing in plain values, for listing review."""
    uow.require_active()
    product = uow.session.get(Product, product_id)
    if product is None:
        raise not_found(CatalogError.PRODUCT_NOT_FOUND, "product", product_id)
    category = uow.session.get(Category, product.category_id)
    return listing_review.ListingFacts(
        product_id=product.id,
        shop_id=product.shop_id,
        category_id=product.category_id,
        category_code=category.code if category is not None else "",
        title_zh=product.title_zh,
        title_en=product.title_en,
        description=product.description,
        sku_names=tuple(k.name for k in product.skus),
        prices_fen=tuple(k.price_fen for k in product.skus),
    )


def take_down(uow: UnitOfWork, product_id: int, reason: str) -> ProductStatus:
    """Governance takes a product off sale (rejected: only a new review brings it back);
    returns the status it had."""
    uow.require_active()
    product = uow.session.get(Product, product_id)
    if product is None:
        raise not_found(CatalogError.PRODUCT_NOT_FOUND, "product", product_id)
    old = ProductStatus(product.status)
    _walk_status(uow, product, ProductStatus.REJECTED, reason)
    return old


def restore_product(
    uow: UnitOfWork, product_id: int, expected: ProductStatus, target: ProductStatus, reason: str
) -> bool:
    """Put a product back to `target` if it is still `expected` (what governance left it as);
    False, and nothing changed, if it has moved on since."""
    uow.require_active()
    product = uow.session.get(Product, product_id)
    if product is None or ProductStatus(product.status) != expected:
        return False
    _walk_status(uow, product, target, reason)
    return True


def set_shop_status(uow: UnitOfWork, shop_id: int, status: ShopStatus, reason: str) -> ShopStatus:
    """Governance suspends, closes or reinstates a shop; returns the status it had."""
    uow.require_active()
    shop = uow.session.get(Shop, shop_id)
    if shop is None:
        raise not_found(CatalogError.SHOP_NOT_FOUND, "shop", shop_id)
    old = ShopStatus(shop.status)
    if old != status:
        shop.status = status
        uow.emit(
            events.ShopStatusChanged(
                shop_id=shop.id, old_status=old, new_status=status, reason=reason
            )
        )
    return old


def live_product_ids(uow: UnitOfWork, *, after_id: int, limit: int) -> list[int]:
    """Ids of live products above `after_id`, in order (governance's re-scan pages with it)."""
    uow.require_active()
    return list(
        uow.session.scalars(
            select(Product.id)
            .where(Product.status == ProductStatus.LIVE, Product.id > after_id)
            .order_by(Product.id)
            .limit(limit)
        )
    )


def _walk_status(uow: UnitOfWork, product: Product, target: ProductStatus, reason: str) -> None:
    """Move the product to `target` by the shortest chain of allowed steps (all in this
    transaction, so no one sees the steps in between)."""
    current = ProductStatus(product.status)
    paths: dict[ProductStatus, list[ProductStatus]] = {current: []}
    queue = [current]
    while queue and target not in paths:
        here = queue.pop(0)
        for step in sorted(PRODUCT_TRANSITIONS[here]):
            if step not in paths:
                paths[step] = [*paths[here], step]
                queue.append(step)
    if target not in paths:
        check_product_transition(current, target)  # raises the usual conflict
    for step in paths[target]:
        old = ProductStatus(product.status)
        product.status = step
        product.updated_at = uow.clock.now()
        uow.emit(
            events.ProductStatusChanged(
                product_id=product.id, old_status=old, new_status=step, reason=reason
            )
        )


# --- internals --------------------------------------------------------------------------------


def _expire_sku(uow: UnitOfWork, sku_id: int) -> None:
    sku = uow.session.get(Sku, sku_id, populate_existing=False)
    if sku is not None:
        uow.session.expire(sku, ["stock"])


def _owned_shop(uow: UnitOfWork, actor: Actor, shop_id: int) -> Shop:
    shop = uow.session.get(Shop, shop_id)
    if shop is None:
        raise not_found(CatalogError.SHOP_NOT_FOUND, "shop", shop_id)
    require_shop_access(uow, actor, shop_id, "this shop belongs to another merchant")
    return shop


def _owned_product(uow: UnitOfWork, actor: Actor, product_id: int) -> Product:
    product = uow.session.get(Product, product_id)
    if product is None:
        raise not_found(CatalogError.PRODUCT_NOT_FOUND, "product", product_id)
    _owned_shop(uow, actor, product.shop_id)
    return product


def _require_active(shop: Shop) -> None:
    if shop.status != ShopStatus.ACTIVE:
        raise conflict(CatalogError.SHOP_NOT_ACTIVE, f"shop {shop.id} is {shop.status}")


def _leaf_category(uow: UnitOfWork, category_id: int) -> Category:
    category = uow.session.get(Category, category_id)
    if category is None:
        raise not_found(CatalogError.CATEGORY_NOT_FOUND, "category", category_id)
    has_children = uow.session.scalar(
        select(Category.id).where(Category.parent_id == category_id).limit(1)
    )
    if has_children is not None:
        raise invalid(
            CatalogError.CATEGORY_NOT_LEAF,
            f"category {category.code} has sub-categories; pick a leaf",
        )
    return category


# --- read-only checks other contexts make inside their own transaction (content, discovery) ----


def require_leaf_category(uow: UnitOfWork, category_id: int) -> None:
    """Raise unless `category_id` names an existing leaf category (content is about a leaf)."""
    uow.require_active()
    _leaf_category(uow, category_id)


def require_on_sale(uow: UnitOfWork, product_id: int) -> None:
    """Raise unless the product exists and is on sale now (live, in an active shop).

    Stock is not looked at: a product that sold out stays mountable and is restocked later.
    """
    uow.require_active()
    row = uow.session.execute(
        select(Product.status, Shop.status)
        .join(Shop, Product.shop_id == Shop.id)
        .where(Product.id == product_id)
    ).first()
    if row is None:
        raise not_found(CatalogError.PRODUCT_NOT_FOUND, "product", product_id)
    product_status, shop_status = row
    if not is_sellable(ProductStatus(product_status), ShopStatus(shop_status)):
        raise conflict(
            CatalogError.PRODUCT_NOT_AVAILABLE,
            f"product {product_id} is not on sale ({product_status}, shop {shop_status})",
            product_id=product_id,
        )

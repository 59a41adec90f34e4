from enum import StrEnum


class CatalogError(StrEnum):
    CATEGORY_NOT_FOUND = "catalog.category_not_found"
    CATEGORY_NOT_LEAF = "catalog.category_not_leaf"
    CATEGORY_CODE_TAKEN = "catalog.category_code_taken"
    MERCHANT_NOT_FOUND = "catalog.merchant_not_found"
    MERCHANT_EXISTS = "catalog.merchant_exists"
    SHOP_NOT_FOUND = "catalog.shop_not_found"
    SHOP_NOT_ACTIVE = "catalog.shop_not_active"
    PRODUCT_NOT_FOUND = "catalog.product_not_found"
    PRODUCT_NOT_AVAILABLE = "catalog.product_not_available"
    SKU_NOT_FOUND = "catalog.sku_not_found"
    OUT_OF_STOCK = "catalog.out_of_stock"
    INVALID_PRODUCT = "catalog.invalid_product"
    INVALID_STOCK = "catalog.invalid_stock"
    INVALID_TRANSITION = "catalog.invalid_transition"
    TAG_NOT_FOUND = "catalog.tag_not_found"

from enum import StrEnum


class ContentError(StrEnum):
    CREATOR_NOT_FOUND = "content.creator_not_found"
    CREATOR_EXISTS = "content.creator_exists"
    NOT_A_CREATOR = "content.not_a_creator"
    INVALID_CREATOR = "content.invalid_creator"
    CONTENT_NOT_FOUND = "content.content_not_found"
    INVALID_CONTENT = "content.invalid_content"
    CONTENT_REMOVED = "content.content_removed"
    TOO_MANY_PRODUCTS = "content.too_many_products"
    PRODUCT_NOT_MOUNTED = "content.product_not_mounted"
    CANNOT_FOLLOW_SELF = "content.cannot_follow_self"

from enum import StrEnum


class AffiliateError(StrEnum):
    PLAN_NOT_FOUND = "affiliate.plan_not_found"
    INVALID_PLAN = "affiliate.invalid_plan"
    RATE_OUT_OF_RANGE = "affiliate.rate_out_of_range"
    PLAN_ENDED = "affiliate.plan_ended"
    NO_PLAN = "affiliate.no_plan"
    OWN_PRODUCT = "affiliate.own_product"
    NOT_SELECTED = "affiliate.not_selected"
    NOT_A_CREATOR = "affiliate.not_a_creator"
    CREATOR_NOT_FOUND = "affiliate.creator_not_found"
    INVALID_RATING = "affiliate.invalid_rating"
    NOT_MOUNTED = "affiliate.not_mounted"
    INVALID_FILTER = "affiliate.invalid_filter"
    SHOP_BELOW_GATE = "affiliate.shop_below_gate"

"""What a merchant promises on a product: how fast it ships, whether 7-day no-reason returns
apply, instant refund before shipping, and return-shipping insurance.

The promises of every line are copied onto the order when it is placed (a later change does not
touch orders already placed); the ship-by deadline is fixed when the order is paid.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select

from xingqu.catalog import queries as catalog_queries
from xingqu.catalog import services as catalog
from xingqu.shared.access import Actor
from xingqu.shared.errors import invalid
from xingqu.store.uow import UnitOfWork
from xingqu.trade.deadlines import ReturnPolicy, ShipPromise
from xingqu.trade.errors import TradeError
from xingqu.trade.models import ProductTerms
from xingqu.trade.rules import MAX_SHIP_WITHIN_HOURS, parse_choice
from xingqu.trade.terms import DEFAULT_TERMS, InsuranceTier, Terms


@dataclass(frozen=True, slots=True)
class ProductPromise:
    ship_promise: ShipPromise
    ship_within_hours: int
    return_policy: ReturnPolicy
    instant_refund: bool
    insurance_tier: InsuranceTier


def default_promise(terms: Terms) -> ProductPromise:
    """A product whose merchant set nothing: ships within the platform default, standard returns,
    instant refund, no insurance."""
    return ProductPromise(
        ShipPromise.WITHIN_HOURS,
        terms.default_ship_within_hours,
        ReturnPolicy.STANDARD,
        True,
        InsuranceTier.NONE,
    )


@dataclass(frozen=True)
class SetProductTerms:
    product_id: int
    ship_promise: str = ShipPromise.WITHIN_HOURS
    ship_within_hours: int = 48
    return_policy: str = ReturnPolicy.STANDARD
    instant_refund: bool = True
    insurance_tier: str = InsuranceTier.NONE


def set_product_terms(uow: UnitOfWork, actor: Actor, cmd: SetProductTerms) -> ProductTerms:
    """The shop's merchant (or an operator) sets a product's promises; orders placed from now on
    carry them."""
    promise = ProductPromise(
        parse_choice(ShipPromise, cmd.ship_promise, "shipping promise"),
        cmd.ship_within_hours,
        parse_choice(ReturnPolicy, cmd.return_policy, "return policy"),
        cmd.instant_refund,
        parse_choice(InsuranceTier, cmd.insurance_tier, "insurance tier"),
    )
    if type(cmd.ship_within_hours) is not int or not (
        1 <= cmd.ship_within_hours <= MAX_SHIP_WITHIN_HOURS
    ):
        raise invalid(
            TradeError.INVALID_TERMS,
            f"ship within 1–{MAX_SHIP_WITHIN_HOURS} hours, got {cmd.ship_within_hours!r}",
        )
    if type(cmd.instant_refund) is not bool:
        raise invalid(TradeError.INVALID_TERMS, "instant_refund is true or false")
    shop_id = catalog_queries.get_product(uow, cmd.product_id).shop_id  # its own read
    with uow:
        catalog.require_shop_access(uow, actor, shop_id, "this product is another merchant's")
        row = uow.session.get(ProductTerms, cmd.product_id)
        if row is None:
            row = ProductTerms(product_id=cmd.product_id, shop_id=shop_id)
            uow.session.add(row)
        row.ship_promise = promise.ship_promise
        row.ship_within_hours = promise.ship_within_hours
        row.return_policy = promise.return_policy
        row.instant_refund = promise.instant_refund
        row.insurance_tier = promise.insurance_tier
        row.updated_at = uow.clock.now()
        uow.commit()
        return row


def product_promise(
    uow: UnitOfWork, product_id: int, terms: Terms = DEFAULT_TERMS
) -> ProductPromise:
    """A product's promises as a buyer sees them before buying (its own read; a product that does
    not exist is `catalog.product_not_found`)."""
    catalog_queries.get_product(uow, product_id)
    with uow:
        return product_promises(uow, [product_id], terms)[product_id]


def product_promises(
    uow: UnitOfWork, product_ids: Collection[int], terms: Terms
) -> dict[int, ProductPromise]:
    """product id → its promises (the platform default where the merchant set none)."""
    uow.require_active()
    ids = sorted(set(product_ids))
    found = {
        row.product_id: ProductPromise(
            ShipPromise(row.ship_promise),
            row.ship_within_hours,
            ReturnPolicy(row.return_policy),
            row.instant_refund,
            InsuranceTier(row.insurance_tier),
        )
        for row in uow.session.scalars(select(ProductTerms).where(ProductTerms.product_id.in_(ids)))
    }
    fallback = default_promise(terms)
    return {pid: found.get(pid, fallback) for pid in ids}

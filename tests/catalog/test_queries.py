"""Catalog reads other contexts make inside their own transaction."""

from __future__ import annotations

from tests import factories
from xingqu.bootstrap import Platform
from xingqu.catalog import queries, services


def test_programme_products_are_those_tagged_or_sold_by_a_tagged_shop(
    any_platform: Platform,
) -> None:
    # given the rural-support tag, a tagged shop's untagged product, a tagged product of an
    # ordinary shop (with a second tag) and an untagged product of that shop
    p = any_platform
    ops = factories.operator(p)
    for code in ("rural", "heritage"):
        services.create_programme_tag(
            p.uow(), ops, services.CreateProgrammeTag(code, code.title(), code)
        )
    county = factories.user(p, "merchant")
    county_shop = services.register_merchant(
        p.uow(), county, services.RegisterMerchant("County", "County shop", programme_tag="rural")
    ).id
    from_county = factories.product(p, county, county_shop)
    merchant, shop = factories.merchant(p)
    tagged = factories.product(p, merchant, shop, tags=["rural", "heritage"])
    plain = factories.product(p, merchant, shop)
    # when
    with p.uow(readonly=True) as uow:
        found = queries.programme_products(uow, [plain.id, tagged.id, from_county.id, 999_999])
        nothing = queries.programme_products(uow, [])
    # then
    assert found == {tagged.id, from_county.id}
    assert nothing == set()

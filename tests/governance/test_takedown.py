"""A product taken down disappears from the feed and cannot be ordered within one request after
the decision; a re-scan under a changed rule set takes down what now violates."""

import shutil
from pathlib import Path

import pytest

from tests import factories
from tests.content import factories as made
from tests.governance.support import listing, status
from xingqu.bootstrap import Platform
from xingqu.catalog.errors import CatalogError
from xingqu.discovery.feed import feed
from xingqu.governance import listing as governance_listing
from xingqu.governance import queries
from xingqu.governance.review import ReviewEngine
from xingqu.governance.ruleset import RuleSet, packaged_ruleset
from xingqu.shared.errors import DomainError
from xingqu.shared.paging import PageRequest
from xingqu.trade import services as trade

PAGE = PageRequest(limit=50)
RULESET = Path(__file__).resolve().parents[2] / "src/xingqu/governance/ruleset"


def _feed_products(p: Platform) -> set[int]:
    shown = feed(p.uow(), factories.consumer(p), limit=20)
    return {x.product_id for item in shown.items for x in item.products}


def _ruleset_with_term(tmp_path: Path, term: str) -> RuleSet:
    """A copy of the packaged rule set with one more absolute term (a rule-set change)."""
    copy = tmp_path / "ruleset"
    shutil.copytree(RULESET, copy)
    with (copy / "terms" / "ad_absolute.txt").open("a", encoding="utf-8") as f:
        f.write(f"{term}\n")
    return RuleSet.load(copy)


def test_a_taken_down_product_leaves_the_feed_and_cannot_be_ordered_at_once(
    platform: Platform,
) -> None:
    # given: a live product, at a price operators are asked to look at, shown in the feed
    p = platform
    owner, shop = factories.merchant(p)
    operator = factories.operator(p)
    creator, _ = made.creator(p)
    product = listing(p, owner, shop, "补水精华", price_fen=99)
    made.item(p, creator, product_ids=[product.id])
    assert product.id in _feed_products(p)
    [queued] = queries.review_queue(p.uow(readonly=True), operator, PAGE).items
    # when the operator takes it down
    governance_listing.decide_listing(p.uow(), operator, queued.id, approve=False, note="bait")
    # then the very next feed request does not show it, and ordering it is refused
    assert product.id not in _feed_products(p)
    buyer = factories.consumer(p)
    with pytest.raises(DomainError) as refused:
        trade.place_order(
            p.uow(),
            buyer,
            trade.PlaceOrder([trade.OrderLineSpec(product.skus[0].id, 1)], "after-takedown"),
        )
    assert refused.value.code == CatalogError.PRODUCT_NOT_AVAILABLE


def test_a_rescan_under_a_changed_rule_set_takes_down_what_now_violates(
    platform: Platform, tmp_path: Path
) -> None:
    # given: two live products; the rule set then learns a new term one of them uses
    p = platform
    owner, shop = factories.merchant(p)
    operator = factories.operator(p)
    flagged = listing(p, owner, shop, "宇宙无双精华")
    fine = listing(p, owner, shop, "补水精华")
    assert (flagged.status, fine.status) == ("live", "live")
    engine = ReviewEngine(ruleset=_ruleset_with_term(tmp_path, "宇宙无双"))
    assert engine.ruleset.version != packaged_ruleset().version
    # when
    result = governance_listing.rescan_catalogue(p.uow, operator, engine=engine)
    # then
    assert (result.scanned, result.taken_down, result.queued) == (2, 1, 0)
    assert (status(p, flagged.id), status(p, fine.id)) == ("rejected", "live")
    [latest, *_] = queries.product_reviews(p.uow(readonly=True), owner, flagged.id)
    assert (latest.trigger, latest.codes, latest.ruleset_version) == (
        "rescan",
        ["ad.absolute_term"],
        engine.ruleset.version,
    )
    notices = queries.list_notices(p.uow(readonly=True), owner, PAGE).items
    assert [n.subject_id for n in notices if n.kind == "product_taken_down"] == [flagged.id]
    # and a second run under the same version has nothing left to do
    again = governance_listing.rescan_catalogue(p.uow, operator, engine=engine)
    assert (again.scanned, again.taken_down) == (0, 0)


def test_only_operators_start_a_rescan(platform: Platform) -> None:
    owner, _ = factories.merchant(platform)
    before = factories.snapshot(platform)
    with pytest.raises(DomainError):
        governance_listing.rescan_catalogue(platform.uow, owner)
    assert factories.snapshot(platform) == before

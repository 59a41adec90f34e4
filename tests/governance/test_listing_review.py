"""Listing review on every create and edit, before the product can be served; the review queue."""

import pytest

from tests import factories
from tests.governance.support import listing, status
from xingqu.bootstrap import Platform
from xingqu.catalog import services as catalog
from xingqu.governance import listing as governance_listing
from xingqu.governance import queries, review
from xingqu.governance.errors import GovernanceError
from xingqu.governance.ruleset import packaged_ruleset
from xingqu.shared.errors import DomainError, ErrorKind
from xingqu.shared.paging import PageRequest

PAGE = PageRequest(limit=50)


def test_a_clean_listing_goes_live_with_its_review_stored(platform: Platform) -> None:
    # given
    owner, shop = factories.merchant(platform)
    # when
    product = listing(platform, owner, shop, "补水精华", title_en="Hydrating serum")
    # then
    assert product.status == "live"
    [review] = queries.product_reviews(platform.uow(readonly=True), owner, product.id)
    assert (review.trigger, review.decision, review.codes) == ("create", "approve", [])
    assert review.ruleset_version == packaged_ruleset().version
    assert review.model_version is not None and review.model_version.startswith("lr-char3+")


def test_a_violating_listing_is_rejected_before_it_is_ever_live(platform: Platform) -> None:
    # given
    owner, shop = factories.merchant(platform)
    # when
    product = listing(platform, owner, shop, "全网销量第一精华", description="加微信 serum88 私聊")
    # then
    assert product.status == "rejected"
    [review] = queries.product_reviews(platform.uow(readonly=True), owner, product.id)
    assert review.decision == "reject"
    assert review.codes == ["ad.absolute_term", "diversion.off_platform"]
    spans = {(f["field"], f["excerpt"]) for f in review.findings}
    assert ("title", "销量第一") in spans and ("description", "加微信") in spans
    assert review.queue_status is None
    statuses = _status_history(platform, product.id)
    assert "live" not in statuses


def test_an_edit_is_reviewed_again_and_a_violating_edit_takes_the_product_off_sale(
    platform: Platform,
) -> None:
    # given
    owner, shop = factories.merchant(platform)
    product = listing(platform, owner, shop, "补水精华")
    # when
    catalog.update_product(
        platform.uow(), owner, catalog.UpdateProduct(product.id, description="包治百病 无副作用")
    )
    # then
    assert status(platform, product.id) == "rejected"
    reviews = queries.product_reviews(platform.uow(readonly=True), owner, product.id)
    assert [(r.trigger, r.decision) for r in reviews] == [("edit", "reject"), ("create", "approve")]
    # and when the merchant fixes the listing, it goes back on sale
    catalog.update_product(
        platform.uow(), owner, catalog.UpdateProduct(product.id, description="温和")
    )
    assert status(platform, product.id) == "live"


class SuspiciousModel:
    """A stand-in classifier that suspects every listing mentioning 'knife'."""

    version = "fake-1"

    def top_violation(self, text: str) -> tuple[str, float]:
        return ("goods.prohibited", 0.999) if "knife" in text else ("clean", 0.0)


def test_a_held_listing_waits_for_an_operator_who_approves_it(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: the classifier (not the rules) suspects this listing, so it is held off sale
    monkeypatch.setattr(review, "ENGINE", review.ReviewEngine(model=SuspiciousModel()))
    owner, shop = factories.merchant(platform)
    operator = factories.operator(platform)
    held = listing(
        platform, owner, shop, "厨师刀", title_en="Chef's knife", code="home.kitchen.knives"
    )
    assert held.status == "under_review"
    [queued] = queries.review_queue(platform.uow(readonly=True), operator, PAGE).items
    assert (queued.decision, queued.codes, queued.model_version) == (
        "review",
        ["goods.prohibited"],
        "fake-1",
    )
    assert queued.findings[0]["source"] == "classifier"
    # when
    governance_listing.decide_listing(
        platform.uow(), operator, queued.id, approve=True, note="a chef's knife, fine"
    )
    # then
    assert status(platform, held.id) == "live"
    assert queries.review_queue(platform.uow(readonly=True), operator, PAGE).total == 0


def test_a_watched_listing_is_live_and_an_operator_can_take_it_down(platform: Platform) -> None:
    # given: a serum at ¥0.99 (far below the band) goes live and is queued
    owner, shop = factories.merchant(platform)
    operator = factories.operator(platform)
    product = listing(platform, owner, shop, "补水精华", price_fen=99)
    assert product.status == "live"
    [queued] = queries.review_queue(platform.uow(readonly=True), operator, PAGE).items
    assert (queued.decision, queued.codes) == ("watch", ["price.anomaly"])
    # when
    governance_listing.decide_listing(
        platform.uow(), operator, queued.id, approve=False, note="bait price"
    )
    # then
    assert status(platform, product.id) == "rejected"
    notices = queries.list_notices(platform.uow(readonly=True), owner, PAGE).items
    assert any(n.kind == "listing_decided" and "bait price" in n.message for n in notices)


def test_only_operators_decide_the_queue_and_a_refusal_changes_nothing(
    platform: Platform,
) -> None:
    # given
    owner, shop = factories.merchant(platform)
    product = listing(platform, owner, shop, "补水精华", price_fen=99)
    operator = factories.operator(platform)
    buyer = factories.consumer(platform)
    [queued] = queries.review_queue(platform.uow(readonly=True), operator, PAGE).items
    before = factories.snapshot(platform)
    # when / then
    for actor in (owner, buyer):
        with pytest.raises(DomainError) as refused:
            governance_listing.decide_listing(
                platform.uow(), actor, queued.id, approve=True, note="mine"
            )
        assert refused.value.kind == ErrorKind.FORBIDDEN
        with pytest.raises(DomainError):
            queries.review_queue(platform.uow(readonly=True), actor, PAGE)
    assert factories.snapshot(platform) == before
    assert status(platform, product.id) == "live"


def test_deciding_a_review_twice_is_a_conflict_that_changes_nothing(platform: Platform) -> None:
    # given
    owner, shop = factories.merchant(platform)
    listing(platform, owner, shop, "补水精华", price_fen=99)
    operator = factories.operator(platform)
    [queued] = queries.review_queue(platform.uow(readonly=True), operator, PAGE).items
    governance_listing.decide_listing(platform.uow(), operator, queued.id, approve=True, note="ok")
    before = factories.snapshot(platform)
    # when
    with pytest.raises(DomainError) as again:
        governance_listing.decide_listing(
            platform.uow(), operator, queued.id, approve=False, note="no"
        )
    # then
    assert again.value.code == GovernanceError.REVIEW_NOT_PENDING
    assert factories.snapshot(platform) == before


def test_a_merchant_cannot_relist_a_rejected_or_held_product_themselves(
    platform: Platform,
) -> None:
    # given: delisted by the merchant, then edited into a violation
    owner, shop = factories.merchant(platform)
    product = listing(platform, owner, shop, "补水精华")
    catalog.delist_product(platform.uow(), owner, product.id)
    catalog.update_product(
        platform.uow(), owner, catalog.UpdateProduct(product.id, title_zh="高仿精华")
    )
    before = factories.snapshot(platform)
    # when
    with pytest.raises(DomainError):
        catalog.relist_product(platform.uow(), owner, product.id)
    # then
    assert factories.snapshot(platform) == before


def test_another_merchant_cannot_read_a_products_reviews(platform: Platform) -> None:
    owner, shop = factories.merchant(platform)
    other, _ = factories.merchant(platform)
    product = listing(platform, owner, shop, "补水精华")
    with pytest.raises(DomainError) as refused:
        queries.product_reviews(platform.uow(readonly=True), other, product.id)
    assert refused.value.kind == ErrorKind.FORBIDDEN


def _status_history(platform: Platform, product_id: int) -> list[str]:
    from sqlalchemy import select

    from xingqu.store.outbox import OutboxEvent

    with platform.uow(readonly=True) as uow:
        rows = uow.session.scalars(
            select(OutboxEvent).where(
                OutboxEvent.name == "catalog.product_status_changed",
                OutboxEvent.aggregate_id == str(product_id),
            )
        )
        return [r.payload["new_status"] for r in rows]

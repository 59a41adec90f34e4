"""Cases, sanctions, appeals and the audit log: only operators decide, merchants see their own,
reinstatement restores exactly what a sanction removed, every decision is audited."""

from datetime import timedelta

import pytest
from sqlalchemy import text

from tests import factories
from tests.governance.support import listing, status
from xingqu.bootstrap import Platform
from xingqu.catalog import queries as catalog_queries
from xingqu.catalog import services as catalog
from xingqu.governance import audit, cases, queries, reports
from xingqu.governance.errors import GovernanceError
from xingqu.governance.models import Case
from xingqu.shared.access import SYSTEM, Actor
from xingqu.shared.clock import ManualClock
from xingqu.shared.errors import DomainError, ErrorKind
from xingqu.shared.paging import PageRequest

PAGE = PageRequest(limit=50)


def _case(
    p: Platform, shop: int, severity: str = "high", products: list[int] | None = None
) -> Case:
    return cases.open_case(
        p.uow(),
        SYSTEM,
        cases.OpenCase(
            shop_id=shop,
            kind="manual",
            reason_code="goods.counterfeit",
            severity=severity,
            summary="counterfeit handbags reported by buyers",
            evidence={"reports": [101, 102]},
            product_ids=products or [],
            dedupe_key=f"test:{shop}:{severity}:{products}",
        ),
    )


def _audit_actions(p: Platform, operator: Actor) -> list[str]:
    entries = queries.audit_log(p.uow(readonly=True), operator, PageRequest(limit=200)).items
    return [e.action for e in reversed(entries)]


def test_only_operators_decide_cases_and_a_refusal_changes_nothing(platform: Platform) -> None:
    # given
    p = platform
    owner, shop = factories.merchant(p)
    case = _case(p, shop)
    others = [owner, factories.consumer(p), factories.user(p, "creator")]
    before = factories.snapshot(p)
    # when / then
    for actor in others:
        with pytest.raises(DomainError) as refused:
            cases.decide_case(p.uow(), actor, case.id, confirm=False, note="not me")
        assert refused.value.kind == ErrorKind.FORBIDDEN
    assert factories.snapshot(p) == before


def test_a_merchant_sees_only_its_own_cases(platform: Platform) -> None:
    # given
    p = platform
    mine, my_shop = factories.merchant(p)
    _other, other_shop = factories.merchant(p)
    my_case, other_case = _case(p, my_shop), _case(p, other_shop)
    operator = factories.operator(p)
    # when
    listed = queries.list_cases(p.uow(readonly=True), mine, PAGE)
    # then
    assert [c.id for c in listed.items] == [my_case.id]
    assert queries.get_case(p.uow(readonly=True), mine, my_case.id).id == my_case.id
    with pytest.raises(DomainError) as refused:
        queries.get_case(p.uow(readonly=True), mine, other_case.id)
    assert refused.value.kind == ErrorKind.FORBIDDEN
    assert {c.id for c in queries.list_cases(p.uow(readonly=True), operator, PAGE).items} == {
        my_case.id,
        other_case.id,
    }
    with pytest.raises(DomainError):
        queries.list_cases(p.uow(readonly=True), factories.consumer(p), PAGE)
    mine_only = queries.audit_log(p.uow(readonly=True), mine, PAGE).items
    assert {e.shop_id for e in mine_only} == {my_shop}


def test_a_product_ban_takes_the_products_down_and_an_upheld_appeal_restores_exactly_them(
    platform: Platform,
) -> None:
    # given: two live products and one the merchant had delisted, in a case
    p = platform
    owner, shop = factories.merchant(p)
    operator = factories.operator(p)
    a, b = listing(p, owner, shop, "手提包"), listing(p, owner, shop, "托特包")
    delisted = listing(p, owner, shop, "斜挎包")
    untouched = listing(p, owner, shop, "补水精华")
    catalog.delist_product(p.uow(), owner, delisted.id)
    case = _case(p, shop, "high", [a.id, b.id, delisted.id])
    # when: confirmed (12 points: a product ban)
    _, sanction = cases.decide_case(p.uow(), operator, case.id, confirm=True, note="confirmed")
    # then
    assert sanction is not None and sanction.level == "product_ban"
    assert [status(p, x.id) for x in (a, b, delisted, untouched)] == [
        "rejected", "rejected", "rejected", "live",
    ]  # fmt: skip
    assert [c["from"] for c in sanction.changes] == ["live", "live", "delisted"]
    # when the merchant appeals with evidence and an operator upholds it
    appeal = cases.file_appeal(
        p.uow(), owner, subject="sanction", subject_id=sanction.id,
        statement="These are our own designs.", evidence=["https://example.invalid/design.pdf"],
    )  # fmt: skip
    cases.decide_appeal(p.uow(), operator, appeal.id, uphold=True, note="own designs, proven")
    # then each product is back exactly where it was
    assert [status(p, x.id) for x in (a, b, delisted, untouched)] == [
        "live", "live", "delisted", "live",
    ]  # fmt: skip
    with p.uow(readonly=True) as uow:
        assert cases.points_held(uow, shop, p.clock.now()) == 0
    actions = _audit_actions(p, operator)
    for expected in ("case.opened", "case.confirmed", "sanction.product_ban", "appeal.filed",
                     "appeal.upheld", "sanction.revoked"):  # fmt: skip
        assert expected in actions


def test_a_suspension_stops_selling_and_its_expiry_restores_the_shop(
    platform: Platform, clock: ManualClock
) -> None:
    # given: a shop with a live product, and a critical case (24 points: selling suspension)
    p = platform
    owner, shop = factories.merchant(p)
    operator = factories.operator(p)
    product = listing(p, owner, shop, "补水精华")
    case = _case(p, shop, "critical")
    # when
    _, sanction = cases.decide_case(p.uow(), operator, case.id, confirm=True, note="prohibited")
    # then
    assert sanction is not None and sanction.level == "selling_suspension"
    assert catalog_queries.get_shop(p.uow(readonly=True), shop).status == "suspended"
    with p.uow(readonly=True) as uow, pytest.raises(DomainError):
        catalog.sellable_sku(uow, product.skus[0].id)
    # when the suspension runs out
    clock.advance(timedelta(days=14, seconds=1))
    expired = cases.expire_sanctions(p.uow())
    # then
    assert expired == [sanction.id]
    assert catalog_queries.get_shop(p.uow(readonly=True), shop).status == "active"
    assert status(p, product.id) == "live"


def test_a_traffic_limit_is_read_by_the_feed_until_it_ends(
    platform: Platform, clock: ManualClock
) -> None:
    # given: a medium case (4 points: traffic limit for 7 days)
    p = platform
    _owner, shop = factories.merchant(p)
    operator = factories.operator(p)
    case = _case(p, shop, "medium")
    # when
    cases.decide_case(p.uow(), operator, case.id, confirm=True, note="misleading claims")
    # then
    with p.uow(readonly=True) as uow:
        assert queries.traffic_limited_shops(uow) == {shop}
    clock.advance(timedelta(days=7, seconds=1))
    with p.uow(readonly=True) as uow:
        assert queries.traffic_limited_shops(uow) == set()


def test_an_appeal_after_seven_days_is_refused_and_changes_nothing(
    platform: Platform, clock: ManualClock
) -> None:
    # given
    p = platform
    owner, shop = factories.merchant(p)
    operator = factories.operator(p)
    product = listing(p, owner, shop, "手提包")
    _, sanction = cases.decide_case(
        p.uow(), operator, _case(p, shop, "high", [product.id]).id, confirm=True, note="fake"
    )
    assert sanction is not None
    clock.advance(timedelta(days=7, seconds=1))
    before = factories.snapshot(p)
    # when
    with pytest.raises(DomainError) as late:
        cases.file_appeal(
            p.uow(), owner, subject="sanction", subject_id=sanction.id,
            statement="please", evidence=[],
        )  # fmt: skip
    # then
    assert late.value.code == GovernanceError.APPEAL_WINDOW_CLOSED
    assert factories.snapshot(p) == before


def test_only_the_shops_merchant_appeals_and_only_operators_decide_appeals(
    platform: Platform,
) -> None:
    # given
    p = platform
    owner, shop = factories.merchant(p)
    other, _ = factories.merchant(p)
    operator = factories.operator(p)
    product = listing(p, owner, shop, "手提包")
    _, sanction = cases.decide_case(
        p.uow(), operator, _case(p, shop, "high", [product.id]).id, confirm=True, note="fake"
    )
    assert sanction is not None
    before = factories.snapshot(p)
    with pytest.raises(DomainError) as refused:
        cases.file_appeal(
            p.uow(), other, subject="sanction", subject_id=sanction.id, statement="x", evidence=[]
        )
    assert refused.value.kind == ErrorKind.FORBIDDEN
    assert factories.snapshot(p) == before
    appeal = cases.file_appeal(
        p.uow(), owner, subject="sanction", subject_id=sanction.id, statement="ours", evidence=[]
    )
    before = factories.snapshot(p)
    for actor in (owner, other):
        with pytest.raises(DomainError) as refused:
            cases.decide_appeal(p.uow(), actor, appeal.id, uphold=True, note="self-approved")
        assert refused.value.kind == ErrorKind.FORBIDDEN
    assert factories.snapshot(p) == before
    cases.decide_appeal(p.uow(), operator, appeal.id, uphold=False, note="evidence insufficient")
    assert status(p, product.id) == "rejected"


def test_every_decision_is_in_the_audit_log_whose_chain_detects_tampering(
    platform: Platform,
) -> None:
    # given: a listing rejected, a case opened and dismissed
    p = platform
    owner, shop = factories.merchant(p)
    operator = factories.operator(p)
    listing(p, owner, shop, "高仿精华")
    case = _case(p, shop)
    cases.decide_case(p.uow(), operator, case.id, confirm=False, note="not enough evidence")
    # then
    entries = queries.audit_log(p.uow(readonly=True), operator, PAGE).items
    dismissed = next(e for e in entries if e.action == "case.dismissed")
    assert (dismissed.actor_id, dismissed.subject_id, dismissed.reason) == (
        operator.user_id,
        case.id,
        "not enough evidence",
    )
    assert "listing.reject" in {e.action for e in entries}
    assert audit.verify_chain(p.uow(readonly=True)).broken_at is None
    # when someone edits a row behind the code's back
    with p.engine.begin() as conn:
        conn.execute(
            text("UPDATE governance_audit_log SET reason = 'nothing' WHERE id = :id"),
            {"id": dismissed.id},
        )
    # then the chain shows where
    assert audit.verify_chain(p.uow(readonly=True)).broken_at == dismissed.id


def test_a_detector_rerun_opens_no_second_case(platform: Platform) -> None:
    _, shop = factories.merchant(platform)
    first, second = _case(platform, shop), _case(platform, shop)
    assert first.id == second.id


def test_on_every_backend_review_sanction_appeal_and_the_audit_chain(
    any_platform: Platform,
) -> None:
    # given
    p = any_platform
    owner, shop = factories.merchant(p)
    operator = factories.operator(p)
    rejected = listing(p, owner, shop, "高仿手提包")
    live = listing(p, owner, shop, "托特包")
    case = _case(p, shop, "high", [live.id])
    # when
    _, sanction = cases.decide_case(p.uow(), operator, case.id, confirm=True, note="fakes")
    assert sanction is not None
    appeal = cases.file_appeal(
        p.uow(), owner, subject="sanction", subject_id=sanction.id, statement="ours", evidence=[]
    )
    cases.decide_appeal(p.uow(), operator, appeal.id, uphold=True, note="proven")
    # then
    assert (status(p, rejected.id), status(p, live.id)) == ("rejected", "live")
    check = audit.verify_chain(p.uow(readonly=True))
    assert check.broken_at is None and check.entries >= 8


def test_the_worker_timers_end_a_suspension(platform: Platform, clock: ManualClock) -> None:
    # given
    p = platform
    _, shop = factories.merchant(p)
    operator = factories.operator(p)
    cases.decide_case(p.uow(), operator, _case(p, shop, "critical").id, confirm=True, note="x")
    clock.advance(timedelta(days=15))
    # when
    ran = p.run_timers()
    # then
    assert ran["governance.expire_sanctions"] == 1
    assert catalog_queries.get_shop(p.uow(readonly=True), shop).status == "active"
    assert p.run_timers()["governance.expire_sanctions"] == 0


def test_an_upheld_appeal_of_a_rejected_listing_puts_it_on_sale_and_is_reported(
    platform: Platform,
) -> None:
    # given: a listing rejected for a word the merchant says is its brand
    p = platform
    owner, shop = factories.merchant(p)
    operator = factories.operator(p)
    product = listing(p, owner, shop, "王者精华")
    [review] = queries.product_reviews(p.uow(readonly=True), owner, product.id)
    assert (product.status, review.codes) == ("rejected", ["ad.absolute_term"])
    # when
    appeal = cases.file_appeal(
        p.uow(), owner, subject="listing", subject_id=review.id,
        statement="王者 is our registered trademark.", evidence=["TM 12345678"],
    )  # fmt: skip
    cases.decide_appeal(p.uow(), operator, appeal.id, uphold=True, note="trademark verified")
    # then
    assert status(p, product.id) == "live"
    now = p.clock.now()
    rows = reports.governance_report(
        p.uow(readonly=True), operator, now - timedelta(days=1), now + timedelta(days=1)
    )
    assert [(r.metric, r.reason, r.count) for r in rows] == [
        ("intercepted", "ad.absolute_term", 1),
        ("appeals_upheld", "ad.absolute_term", 1),
    ]

"""The affiliate programme's shop-score gate (精选联盟: shop experience score ≥ 70): enforced by
affiliate when a merchant publishes a plan and when a creator selects a product."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.content import factories as content_factories
from tests.factories import snapshot
from tests.governance.support import confirmed_fake_orders
from tests.trade.scenario import listing
from tests.trade.test_api import auth
from xingqu.affiliate import services
from xingqu.affiliate.errors import AffiliateError
from xingqu.affiliate.rules import check_shop_gate, passes_shop_gate
from xingqu.api.app import create_app
from xingqu.bootstrap import Platform
from xingqu.governance import queries as governance_queries
from xingqu.governance import scores
from xingqu.shared.errors import DomainError, ErrorKind
from xingqu.trade.terms import DEFAULT_TERMS, Terms


def _fake_orders_confirmed(p: Platform, shop_id: int) -> float:
    """A confirmed fake-order case drops a growth-stage shop to 60; returns the new score."""
    confirmed_fake_orders(p, shop_id)
    scores.recompute_scores(p.uow, shop_ids=[shop_id])
    with p.uow(readonly=True) as uow:
        return governance_queries.merchant_scores(uow, [shop_id])[shop_id].score


@pytest.mark.parametrize(("score", "passes"), [(70.0, True), (69.9, False), (100.0, True)])
def test_the_gate_is_a_shop_score_of_at_least_70(score: float, passes: bool) -> None:
    assert passes_shop_gate(score, DEFAULT_TERMS) is passes


def test_the_gate_follows_the_configured_terms_and_says_why_it_refuses() -> None:
    # given a platform that asks for 75
    terms = Terms(affiliate_min_shop_score=75)
    # when / then
    assert passes_shop_gate(75.0, terms) and not passes_shop_gate(74.9, terms)
    with pytest.raises(DomainError) as err:
        check_shop_gate(3, 70.0, terms)
    assert (err.value.code, err.value.kind) == (AffiliateError.SHOP_BELOW_GATE, ErrorKind.CONFLICT)
    assert err.value.details == {"shop_id": 3, "score": 70.0, "min_score": 75}
    assert err.value.message == (
        "shop 3's experience score is 70; the affiliate programme needs at least 75"
    )
    with pytest.raises(ValueError, match="affiliate_min_shop_score"):
        Terms(affiliate_min_shop_score=101)


def test_a_shop_under_the_gate_cannot_publish_a_plan_and_nothing_changes(
    platform: Platform,
) -> None:
    # given a shop with a confirmed fake-order case: its score falls from 70 to 60
    p = platform
    item = listing(p)
    assert _fake_orders_confirmed(p, item.shop_id) == 60.0
    before = snapshot(p)
    # when its merchant offers commission
    with pytest.raises(DomainError) as err:
        services.publish_plan(p.uow(), item.merchant, services.PublishPlan(item.product_id, 2_000))
    # then it is refused and no plan exists
    assert err.value.code == AffiliateError.SHOP_BELOW_GATE
    assert err.value.details == {"shop_id": item.shop_id, "score": 60.0, "min_score": 70}
    assert snapshot(p) == before


def test_a_creator_cannot_select_a_product_of_a_shop_that_fell_under_the_gate(
    platform: Platform,
) -> None:
    # given a plan published while the shop was at the growth-stage 70, and a second creator
    # who selected the product then
    p = platform
    item = listing(p)
    services.publish_plan(p.uow(), item.merchant, services.PublishPlan(item.product_id, 2_000))
    creator, _ = content_factories.creator(p)
    early, early_id = content_factories.creator(p)
    assert services.select_product(p.uow(), early, item.product_id).active
    # when the shop's score falls to 60
    assert _fake_orders_confirmed(p, item.shop_id) == 60.0
    before = snapshot(p)
    with pytest.raises(DomainError) as err:
        services.select_product(p.uow(), creator, item.product_id)
    # then the new selection is refused and nothing changed (the earlier one stays)
    assert err.value.code == AffiliateError.SHOP_BELOW_GATE
    assert snapshot(p) == before
    assert [(row[0], row[1], row[2]) for row in before["creator_selections"]] == [
        (early_id, item.product_id, 1)
    ]


def test_a_stricter_configured_gate_refuses_a_never_scored_shop(platform: Platform) -> None:
    # given a shop never scored (the growth-stage 70) with a plan, and a platform asking for 75
    p = platform
    item = listing(p)
    services.publish_plan(p.uow(), item.merchant, services.PublishPlan(item.product_id, 2_000))
    creator, _ = content_factories.creator(p)
    strict = Terms(affiliate_min_shop_score=75)
    before = snapshot(p)
    # when / then: neither publishing nor selecting passes under the stricter gate
    for attempt in (
        lambda: services.publish_plan(
            p.uow(), item.merchant, services.PublishPlan(item.product_id, 3_000), terms=strict
        ),
        lambda: services.select_product(p.uow(), creator, item.product_id, terms=strict),
    ):
        with pytest.raises(DomainError) as err:
            attempt()
        assert err.value.details == {"shop_id": item.shop_id, "score": 70.0, "min_score": 75}
    assert snapshot(p) == before
    # and under the platform's own gate both pass
    assert services.select_product(p.uow(), creator, item.product_id).active


def test_over_http_a_gated_selection_is_a_409_with_the_gates_code(platform: Platform) -> None:
    # given a plan on a shop that then fell under the gate, and a signed-in creator
    p = platform
    item = listing(p)
    services.publish_plan(p.uow(), item.merchant, services.PublishPlan(item.product_id, 2_000))
    creator, _ = content_factories.creator(p)
    _fake_orders_confirmed(p, item.shop_id)
    headers = auth(p, creator)
    before = snapshot(p)
    # when the creator selects the product over HTTP
    with TestClient(create_app(p, drain_in_background=False)) as client:
        answer = client.post(
            "/api/v1/affiliate/selections", json={"product_id": item.product_id}, headers=headers
        )
    # then
    assert (answer.status_code, answer.json()["error"]["code"]) == (
        409,
        "affiliate.shop_below_gate",
    )
    assert snapshot(p) == before

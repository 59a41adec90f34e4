"""Listing review as the catalog calls it: inside the catalog's own transaction, on every create
and edit, before the product can be served.

`review_listing` screens the listing (rules, then the classifier), stores the decision with the
rule-set and model versions, queues it for a person when it must be looked at, writes the audit
entry and the event, and returns the verdict; the catalog then sets the product's status from it
in the same transaction (approve or watch: live; review: under review; reject: rejected). So no
product is ever live before its review, and no review is stored for a change that rolled back.

This module never imports `catalog.services` (the catalog imports it).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from xingqu.catalog import queries as catalog_queries
from xingqu.governance import audit, events
from xingqu.governance.classifier import packaged_classifier
from xingqu.governance.errors import GovernanceError
from xingqu.governance.models import ListingReview, Sanction
from xingqu.governance.rules import SanctionLevel, SanctionStatus
from xingqu.governance.ruleset import Action, RuleSet, Severity, packaged_ruleset
from xingqu.governance.screening import (
    Decision,
    Finding,
    ListingDraft,
    PriceBand,
    Screening,
    TextModel,
    decide,
    screen,
)
from xingqu.shared.access import SYSTEM
from xingqu.shared.errors import conflict
from xingqu.store.uow import UnitOfWork

PRICE_PERCENTILES = (0.05, 0.95)


class QueueStatus:
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


QUEUED_DECISIONS = frozenset({Decision.REVIEW, Decision.WATCH})


@dataclass(frozen=True, slots=True)
class ListingFacts:
    """The listing as the catalog has it, in plain values."""

    product_id: int
    shop_id: int
    category_id: int
    category_code: str
    title_zh: str
    title_en: str
    description: str
    sku_names: tuple[str, ...]
    prices_fen: tuple[int, ...]

    def draft(self) -> ListingDraft:
        return ListingDraft(
            title=self.title_zh or self.title_en,
            title_en=self.title_en if self.title_zh else "",
            description=self.description,
            category_code=self.category_code,
            prices_fen=self.prices_fen,
            sku_names=self.sku_names,
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    review_id: int
    decision: Decision
    codes: list[str]


class ReviewEngine:
    """The rule set and the model used by review (the packaged ones unless a test swaps them)."""

    def __init__(self, ruleset: RuleSet | None = None, model: TextModel | None = None) -> None:
        self._ruleset = ruleset
        self._model = model

    @property
    def ruleset(self) -> RuleSet:
        return self._ruleset or packaged_ruleset()

    @property
    def model(self) -> TextModel:
        return self._model or packaged_classifier()


ENGINE = ReviewEngine()


def review_listing(
    uow: UnitOfWork, facts: ListingFacts, *, trigger: str, engine: ReviewEngine | None = None
) -> Verdict:
    """Review a listing inside the caller's transaction and store the decision."""
    uow.require_active()
    engine = engine or ENGINE
    result = screen_listing(uow, facts, engine)
    return store_review(uow, facts, result, trigger=trigger)


def screen_listing(uow: UnitOfWork, facts: ListingFacts, engine: ReviewEngine) -> Screening:
    ruleset = engine.ruleset
    band = live_price_band(uow, facts.category_id, ruleset.policy.price_min_live)
    result = screen(facts.draft(), ruleset, band=band, model=engine.model)
    if banned_product(uow, facts.product_id):
        findings = [
            *result.findings,
            Finding(
                code="sanction.product_ban",
                severity=Severity.HIGH,
                action=Action.REVIEW,
                source="sanction",
                field="product",
                start=0,
                end=0,
                excerpt="",
                detail="the product is under an active product ban",
            ),
        ]
        result = Screening(decide(findings), findings, result.ruleset_version, result.model_version)
    return result


def store_review(
    uow: UnitOfWork, facts: ListingFacts, result: Screening, *, trigger: str
) -> Verdict:
    s = uow.session
    now = uow.clock.now()
    s.execute(
        update(ListingReview)
        .where(
            ListingReview.product_id == facts.product_id,
            ListingReview.queue_status == QueueStatus.PENDING,
        )
        .values(queue_status=QueueStatus.SUPERSEDED)
        .execution_options(synchronize_session=False)
    )
    review = ListingReview(
        product_id=facts.product_id,
        shop_id=facts.shop_id,
        trigger=trigger,
        decision=result.decision,
        codes=result.codes,
        findings=[f.as_dict() for f in result.findings],
        ruleset_version=result.ruleset_version,
        model_version=result.model_version,
        queue_status=QueueStatus.PENDING if result.decision in QUEUED_DECISIONS else None,
        created_at=now,
    )
    s.add(review)
    s.flush()
    audit.record(
        uow,
        SYSTEM,
        f"listing.{result.decision}",
        "product",
        facts.product_id,
        shop_id=facts.shop_id,
        reason=", ".join(result.codes) or "no finding",
        evidence={
            "review_id": review.id,
            "trigger": trigger,
            "findings": review.findings,
            "ruleset_version": result.ruleset_version,
            "model_version": result.model_version,
        },
    )
    uow.emit(
        events.ListingReviewed(
            review_id=review.id,
            product_id=facts.product_id,
            shop_id=facts.shop_id,
            trigger=trigger,
            decision=str(result.decision),
            codes=result.codes,
            ruleset_version=result.ruleset_version,
        )
    )
    return Verdict(review.id, Decision(result.decision), result.codes)


def latest_review(uow: UnitOfWork, product_id: int) -> ListingReview | None:
    uow.require_active()
    return uow.session.scalar(
        select(ListingReview)
        .where(ListingReview.product_id == product_id)
        .order_by(ListingReview.id.desc())
        .limit(1)
    )


def require_approved(uow: UnitOfWork, product_id: int) -> None:
    """Raise unless the product's latest review lets it be on sale (the catalog asks before a
    merchant relists a product): approved or watched by review, or approved by an operator."""
    review = latest_review(uow, product_id)
    if review is None:
        return  # listed before governance existed
    if review.queue_status == QueueStatus.APPROVED:
        return
    if review.queue_status == QueueStatus.REJECTED or review.decision in (
        Decision.REJECT,
        Decision.REVIEW,
    ):
        raise conflict(
            GovernanceError.LISTING_NOT_APPROVED,
            f"product {product_id} has not passed listing review "
            f"({review.decision}: {', '.join(review.codes) or 'waiting for an operator'})",
            product_id=product_id,
            review_id=review.id,
        )


def banned_product(uow: UnitOfWork, product_id: int) -> bool:
    """Whether an active product-ban sanction covers the product."""
    rows = uow.session.scalars(
        select(Sanction.changes).where(
            Sanction.level == SanctionLevel.PRODUCT_BAN, Sanction.status == SanctionStatus.ACTIVE
        )
    )
    return any(
        change.get("kind") == "product" and change.get("id") == product_id
        for changes in rows
        for change in changes
    )


def live_price_band(uow: UnitOfWork, category_id: int, min_live: int) -> PriceBand | None:
    """The 5th–95th percentile of the live products' prices in the category, when there are
    enough of them; None otherwise (review then uses the rule set's reference band)."""
    prices = sorted(catalog_queries.live_prices_in_category(uow, category_id))
    if len(prices) < min_live:
        return None
    low = prices[int(PRICE_PERCENTILES[0] * (len(prices) - 1))]
    high = prices[int(PRICE_PERCENTILES[1] * (len(prices) - 1))]
    return PriceBand(low, high, f"live:{len(prices)}")

"""Operator use cases on listings: work the review queue, and re-scan the live catalogue when the
rule set changes (one transaction per decision, per batch of the re-scan)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from xingqu.catalog import services as catalog
from xingqu.catalog.rules import ProductStatus
from xingqu.governance import audit, events
from xingqu.governance.errors import GovernanceError
from xingqu.governance.models import ListingReview, RulesetScan
from xingqu.governance.review import (
    ENGINE,
    QueueStatus,
    ReviewEngine,
    latest_review,
    screen_listing,
    store_review,
)
from xingqu.governance.rules import validate_note, validate_reason_code
from xingqu.governance.screening import Decision
from xingqu.shared.access import Actor, Role
from xingqu.shared.errors import conflict, not_found
from xingqu.store.uow import UnitOfWork

RESCAN_BATCH = 200


def decide_listing(
    uow: UnitOfWork,
    actor: Actor,
    review_id: int,
    *,
    approve: bool,
    note: str,
    reason_code: str | None = None,
) -> ListingReview:
    """An operator decides a queued review: approve puts the product on sale (unless its merchant
    delisted it), reject takes it off with `reason_code` (default: the review's first code)."""
    actor.require(Role.OPERATOR)
    note = validate_note(note)
    if reason_code is not None:
        validate_reason_code(reason_code)
    with uow:
        review = uow.session.get(ListingReview, review_id, with_for_update=True)
        if review is None:
            raise not_found(GovernanceError.REVIEW_NOT_FOUND, "listing review", review_id)
        if review.queue_status != QueueStatus.PENDING:
            raise conflict(
                GovernanceError.REVIEW_NOT_PENDING,
                f"review {review_id} is not waiting for a decision ({review.queue_status})",
            )
        latest = latest_review(uow, review.product_id)
        if latest is None or latest.id != review.id:
            raise conflict(GovernanceError.REVIEW_STALE, "the listing was reviewed again since")
        now = uow.clock.now()
        review.queue_status = QueueStatus.APPROVED if approve else QueueStatus.REJECTED
        review.decided_by = actor.user_id
        review.decided_at = now
        review.decision_note = note
        code = reason_code or (review.codes[0] if review.codes else "listing.operator_rejected")
        review.decision_code = None if approve else code
        if approve:
            catalog.restore_product(
                uow,
                review.product_id,
                ProductStatus.UNDER_REVIEW,
                ProductStatus.LIVE,
                f"operator:approved:{review.id}",
            )
            message = f"Listing review {review.id} approved: {note}"
        else:
            old = catalog.take_down(uow, review.product_id, f"operator:rejected:{code}")
            if old == ProductStatus.LIVE:
                uow.emit(
                    events.ProductTakenDown(
                        product_id=review.product_id,
                        shop_id=review.shop_id,
                        codes=[code],
                        source="review_queue",
                    )
                )
            message = f"Listing review {review.id} rejected ({code}): {note}"
        audit.record(
            uow,
            actor,
            "listing.approved" if approve else "listing.rejected",
            "product",
            review.product_id,
            shop_id=review.shop_id,
            reason=note if approve else f"{code}: {note}",
            evidence={"review_id": review.id, "findings": review.findings},
        )
        audit.notify(uow, review.shop_id, "listing_decided", "product", review.product_id, message)
        uow.emit(
            events.ListingDecided(
                review_id=review.id,
                product_id=review.product_id,
                shop_id=review.shop_id,
                approved=approve,
                operator_id=actor.user_id,
            )
        )
        uow.commit()
        return review


@dataclass(frozen=True, slots=True)
class RescanResult:
    scan_id: int
    ruleset_version: str
    scanned: int
    taken_down: int
    queued: int


def rescan_catalogue(
    uows: Callable[[], UnitOfWork],
    actor: Actor,
    *,
    engine: ReviewEngine | None = None,
    batch: int = RESCAN_BATCH,
) -> RescanResult:
    """Review every live product whose latest review used another rule-set version; take down
    what now violates (rejected, merchant notified) and queue what a person must look at.

    Each batch is one transaction, so a re-scan that stops half-way is simply run again: products
    already reviewed under this version are skipped."""
    actor.require(Role.OPERATOR)
    engine = engine or ENGINE
    version = engine.ruleset.version
    with uows() as uow:
        scan = RulesetScan(
            ruleset_version=version, started_by=actor.user_id, started_at=uow.clock.now()
        )
        uow.session.add(scan)
        uow.session.flush()
        audit.record(
            uow, actor, "ruleset.rescan_started", "ruleset_scan", scan.id, shop_id=None,
            reason=f"re-scan under rule set {version}",
        )  # fmt: skip
        uow.commit()
        scan_id = scan.id
    scanned = taken_down = queued = 0
    after = 0
    while True:
        with uows() as uow:
            ids = catalog.live_product_ids(uow, after_id=after, limit=batch)
            if not ids:
                break
            after = ids[-1]
            for product_id in ids:
                previous = latest_review(uow, product_id)
                if previous is not None and previous.ruleset_version == version:
                    continue
                facts = catalog.listing_facts(uow, product_id)
                result = screen_listing(uow, facts, engine)
                scanned += 1
                verdict = store_review(uow, facts, result, trigger="rescan")
                if verdict.decision == Decision.REJECT:
                    catalog.take_down(uow, product_id, f"rescan:{','.join(verdict.codes)}")
                    taken_down += 1
                    uow.emit(
                        events.ProductTakenDown(
                            product_id=product_id,
                            shop_id=facts.shop_id,
                            codes=verdict.codes,
                            source="rescan",
                        )
                    )
                    audit.notify(
                        uow,
                        facts.shop_id,
                        "product_taken_down",
                        "product",
                        product_id,
                        f"Product {product_id} was taken down under rule set {version}: "
                        f"{', '.join(verdict.codes)}. Edit the listing to have it reviewed "
                        "again, or appeal within 7 days.",
                    )
                elif verdict.decision == Decision.REVIEW:
                    catalog.restore_product(
                        uow,
                        product_id,
                        ProductStatus.LIVE,
                        ProductStatus.UNDER_REVIEW,
                        f"rescan:{','.join(verdict.codes)}",
                    )
                    queued += 1
                elif verdict.decision == Decision.WATCH:
                    queued += 1
            uow.commit()
    with uows() as uow:
        row = uow.session.get(RulesetScan, scan_id)
        assert row is not None
        row.finished_at = uow.clock.now()
        row.scanned, row.taken_down, row.queued = scanned, taken_down, queued
        audit.record(
            uow,
            actor,
            "ruleset.rescan_finished",
            "ruleset_scan",
            scan_id,
            shop_id=None,
            reason=f"scanned {scanned}, took down {taken_down}, queued {queued}",
            evidence={"ruleset_version": version},
        )
        uow.commit()
    return RescanResult(scan_id, version, scanned, taken_down, queued)


def pending_reviews(uow: UnitOfWork, actor: Actor, *, limit: int = 50) -> list[ListingReview]:
    """The review queue, oldest first (operators)."""
    actor.require(Role.OPERATOR)
    with uow:
        return list(
            uow.session.scalars(
                select(ListingReview)
                .where(ListingReview.queue_status == QueueStatus.PENDING)
                .order_by(ListingReview.id)
                .limit(limit)
            )
        )

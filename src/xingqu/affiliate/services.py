"""Affiliate use cases (one transaction each) and the calls trade makes inside its transaction.

Merchants publish commission plans on their products: open to every creator (5–50 %) or targeted
at one creator (up to 80 %); publishing a plan ends the plan it replaces. Creators select products
that have a plan for them (never their own shop's) and mount them in content. Both need the
shop's experience score (`governance.queries.merchant_scores`) at or above the programme's gate,
`Terms.affiliate_min_shop_score` (70). When a buyer
orders, each line is attributed to the content the buyer last touched for that product within
`Terms.attribution_days` (the content on the order line itself is the latest touch); the line
earns commission when that content is published, mounts the product, and its creator selected
the product and has a plan. The rate is fixed at the order; the platform's fee on commission (by
the creator's rating) at settlement. Trade's settlement books the money; this context keeps the
commission records in step (`record_settlement`, `record_clawback`, `cancel_commissions`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from xingqu.affiliate import events
from xingqu.affiliate.errors import AffiliateError
from xingqu.affiliate.models import (
    AffiliatePlan,
    AffiliateTouch,
    Commission,
    CreatorRatingRecord,
    CreatorSelection,
)
from xingqu.affiliate.rules import (
    CommissionStatus,
    PlanKind,
    PlanOffer,
    PlanStatus,
    applicable_plan,
    attribution_window_starts,
    check_plan_rate,
    check_shop_gate,
    creator_fee_bp,
    parse_rating,
)
from xingqu.catalog import queries as catalog_queries
from xingqu.catalog import services as catalog
from xingqu.content import queries as content_queries
from xingqu.content.models import Creator
from xingqu.governance import queries as governance_queries
from xingqu.ledger.rules import CommissionShare, CommissionTerms
from xingqu.shared.access import Actor, Role
from xingqu.shared.errors import conflict, forbidden, invalid, not_found
from xingqu.store.uow import UnitOfWork
from xingqu.trade.terms import DEFAULT_TERMS, CreatorRating, Terms

# --- merchants: plans -------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishPlan:
    product_id: int
    rate_bp: int
    kind: str = PlanKind.OPEN
    creator_id: int | None = None  # the creator a targeted plan names


def publish_plan(
    uow: UnitOfWork, actor: Actor, cmd: PublishPlan, *, terms: Terms = DEFAULT_TERMS
) -> AffiliatePlan:
    """The shop's merchant offers commission on a product; the plan it replaces (the open plan,
    or the targeted plan for the same creator) ends. Orders already placed keep their rate. A
    shop whose experience score is under the programme's gate may not publish
    (`affiliate.shop_below_gate`)."""
    try:
        kind = PlanKind(cmd.kind)
    except ValueError:
        raise invalid(
            AffiliateError.INVALID_PLAN, f"a plan is {' or '.join(PlanKind)}, not {cmd.kind!r}"
        ) from None
    check_plan_rate(kind, cmd.rate_bp, terms)
    if (kind == PlanKind.TARGETED) != (cmd.creator_id is not None):
        raise invalid(AffiliateError.INVALID_PLAN, "a targeted plan, and only it, names a creator")
    shop_id = catalog_queries.get_product(uow, cmd.product_id).shop_id  # its own read
    with uow:
        catalog.require_shop_access(uow, actor, shop_id, "this product is another merchant's")
        if cmd.creator_id is not None and uow.session.get(Creator, cmd.creator_id) is None:
            raise not_found(AffiliateError.CREATOR_NOT_FOUND, "creator", cmd.creator_id)
        _check_gate(uow, shop_id, terms)
        now = uow.clock.now()
        replaced = uow.session.scalars(
            select(AffiliatePlan)
            .where(
                AffiliatePlan.product_id == cmd.product_id,
                AffiliatePlan.kind == kind,
                AffiliatePlan.status == PlanStatus.ACTIVE,
                AffiliatePlan.creator_id.is_(None)
                if cmd.creator_id is None
                else AffiliatePlan.creator_id == cmd.creator_id,
            )
            .with_for_update()
        )
        for old in replaced:
            _end(uow, old, now)
        plan = AffiliatePlan(
            shop_id=shop_id,
            product_id=cmd.product_id,
            kind=kind,
            creator_id=cmd.creator_id,
            rate_bp=cmd.rate_bp,
            status=PlanStatus.ACTIVE,
            created_at=now,
        )
        uow.session.add(plan)
        uow.flush()
        uow.emit(
            events.PlanPublished(
                plan_id=plan.id,
                shop_id=shop_id,
                product_id=plan.product_id,
                kind=kind,
                rate_bp=plan.rate_bp,
                creator_id=plan.creator_id,
            )
        )
        uow.commit()
        return plan


def end_plan(uow: UnitOfWork, actor: Actor, plan_id: int) -> AffiliatePlan:
    """The merchant withdraws a plan: new orders earn nothing from it (placed ones keep theirs)."""
    with uow:
        plan = uow.session.get(AffiliatePlan, plan_id, with_for_update=True)
        if plan is None:
            raise not_found(AffiliateError.PLAN_NOT_FOUND, "plan", plan_id)
        catalog.require_shop_access(uow, actor, plan.shop_id, "this plan is another merchant's")
        if plan.status == PlanStatus.ENDED:
            raise conflict(AffiliateError.PLAN_ENDED, f"plan {plan_id} has ended already")
        _end(uow, plan, uow.clock.now())
        uow.commit()
        return plan


# --- creators: selections ---------------------------------------------------------------------


def select_product(
    uow: UnitOfWork, actor: Actor, product_id: int, *, terms: Terms = DEFAULT_TERMS
) -> CreatorSelection:
    """The creator adds a product with a plan for them to their showcase (again: a no-op). A
    product whose shop's experience score is under the programme's gate may not be selected
    (`affiliate.shop_below_gate`)."""
    creator = _creator_of(uow, actor)
    shop_id = catalog_queries.get_product(uow, product_id).shop_id  # its own read
    with uow:
        if catalog.shop_owner_user_id(uow, shop_id) == actor.user_id:
            raise conflict(
                AffiliateError.OWN_PRODUCT,
                "a merchant promoting their own products earns no commission",
            )
        if _offer(uow, product_id, creator.id) is None:
            raise conflict(
                AffiliateError.NO_PLAN, f"product {product_id} has no commission plan for you"
            )
        _check_gate(uow, shop_id, terms)
        now = uow.clock.now()
        row = uow.session.get(CreatorSelection, (creator.id, product_id))
        if row is None:
            row = CreatorSelection(
                creator_id=creator.id, product_id=product_id, selected_at=now, updated_at=now
            )
            uow.session.add(row)
        elif row.active:
            return row
        row.active = True
        row.updated_at = now
        uow.flush()
        uow.emit(events.ProductSelected(creator_id=creator.id, product_id=product_id))
        uow.commit()
        return row


def deselect_product(uow: UnitOfWork, actor: Actor, product_id: int) -> None:
    creator = _creator_of(uow, actor)
    with uow:
        row = uow.session.get(CreatorSelection, (creator.id, product_id))
        if row is None or not row.active:
            raise not_found(AffiliateError.NOT_SELECTED, "selected product", product_id)
        row.active = False
        row.updated_at = uow.clock.now()
        uow.emit(events.ProductDeselected(creator_id=creator.id, product_id=product_id))
        uow.commit()


# --- operators: ratings -----------------------------------------------------------------------


def set_rating(uow: UnitOfWork, actor: Actor, creator_id: int, rating: str) -> CreatorRatingRecord:
    """An operator sets a creator's rating (A, B+, B, C, D); it sets the platform's fee on
    commission settled from now on."""
    actor.require(Role.OPERATOR)
    value = parse_rating(rating)
    with uow:
        if uow.session.get(Creator, creator_id) is None:
            raise not_found(AffiliateError.CREATOR_NOT_FOUND, "creator", creator_id)
        row = uow.session.get(CreatorRatingRecord, creator_id)
        if row is None:
            row = CreatorRatingRecord(creator_id=creator_id)
            uow.session.add(row)
        row.rating = value
        row.set_by = actor.user_id
        row.set_at = uow.clock.now()
        uow.emit(events.CreatorRated(creator_id=creator_id, rating=value))
        uow.commit()
        return row


# --- buyers: touches --------------------------------------------------------------------------


def record_touch(
    uow: UnitOfWork, actor: Actor, content_id: int, product_id: int
) -> AffiliateTouch | None:
    """The buyer opened a product's card in a content item. Returns the touch, or None when the
    content is not published or does not mount the product (nothing to attribute)."""
    actor.require(Role.CONSUMER)
    with uow:
        touch = note_touch(uow, actor.user_id, content_id, product_id)
        uow.commit()
        return touch


def note_touch(
    uow: UnitOfWork, buyer_id: int, content_id: int, product_id: int
) -> AffiliateTouch | None:
    """Participant call (trade, when a product is added to the cart from content)."""
    uow.require_active()
    card = content_queries.content_cards(uow, [content_id]).get(content_id)
    if card is None or product_id not in card.product_ids:
        return None
    touch = AffiliateTouch(
        buyer_id=buyer_id,
        product_id=product_id,
        content_id=content_id,
        creator_id=card.creator_id,
        touched_at=uow.clock.now(),
    )
    uow.session.add(touch)
    return touch


# --- calls trade makes inside its own transaction ---------------------------------------------


@dataclass(frozen=True, slots=True)
class LineFact:
    order_line_id: int
    product_id: int
    content_id: int | None  # the content the line was bought from (the latest touch)
    line_total_fen: int


def attribute_order(
    uow: UnitOfWork,
    *,
    order_id: int,
    buyer_id: int,
    shop_id: int,
    placed_at: datetime,
    lines: Sequence[LineFact],
    terms: Terms,
) -> list[Commission]:
    """Attribute each line to the buyer's last touch of its product (participant call)."""
    uow.require_active()
    starts = attribution_window_starts(placed_at, terms)
    touches: dict[int, tuple[int, datetime]] = {}
    for line in lines:
        if line.content_id is not None:
            touches[line.order_line_id] = (line.content_id, placed_at)
            continue
        last = uow.session.execute(
            select(AffiliateTouch.content_id, AffiliateTouch.touched_at)
            .where(
                AffiliateTouch.buyer_id == buyer_id,
                AffiliateTouch.product_id == line.product_id,
                AffiliateTouch.touched_at >= starts,
                AffiliateTouch.touched_at <= placed_at,
            )
            .order_by(AffiliateTouch.touched_at.desc(), AffiliateTouch.id.desc())
            .limit(1)
        ).first()
        if last is not None:
            touches[line.order_line_id] = (last[0], last[1])
    cards = content_queries.content_cards(uow, {c for c, _ in touches.values()})
    made = []
    for line in lines:
        if line.order_line_id not in touches:
            continue
        content_id, touched_at = touches[line.order_line_id]
        card = cards.get(content_id)
        if card is None or line.product_id not in card.product_ids:
            continue
        selected = uow.session.get(CreatorSelection, (card.creator_id, line.product_id))
        offer = _offer(uow, line.product_id, card.creator_id)
        if selected is None or not selected.active or offer is None:
            continue
        commission = Commission(
            order_id=order_id,
            order_line_id=line.order_line_id,
            creator_id=card.creator_id,
            content_id=content_id,
            product_id=line.product_id,
            plan_id=offer.plan_id,
            buyer_id=buyer_id,
            shop_id=shop_id,
            line_total_fen=line.line_total_fen,
            rate_bp=offer.rate_bp,
            status=CommissionStatus.PENDING,
            touched_at=touched_at,
            created_at=placed_at,
            updated_at=placed_at,
        )
        uow.session.add(commission)
        uow.flush()
        uow.emit(
            events.OrderAttributed(
                order_id=order_id,
                order_line_id=line.order_line_id,
                creator_id=card.creator_id,
                content_id=content_id,
                product_id=line.product_id,
                rate_bp=offer.rate_bp,
            )
        )
        made.append(commission)
    return made


def commission_terms(uow: UnitOfWork, order_id: int, terms: Terms) -> list[CommissionTerms]:
    """The order's pending commissions with the platform's fee by each creator's rating now."""
    uow.require_active()
    rows = _commissions(uow, order_id, CommissionStatus.PENDING)
    ratings = _ratings(uow, {c.creator_id for c in rows})
    return [
        CommissionTerms(
            c.id,
            c.creator_id,
            c.line_total_fen,
            c.rate_bp,
            creator_fee_bp(ratings.get(c.creator_id), terms),
        )
        for c in rows
    ]


def settled_terms(uow: UnitOfWork, order_id: int) -> list[CommissionTerms]:
    """The order's settled commissions with the fee fixed at settlement."""
    uow.require_active()
    rows = _commissions(uow, order_id, CommissionStatus.SETTLED, CommissionStatus.CLAWED_BACK)
    return [
        CommissionTerms(c.id, c.creator_id, c.line_total_fen, c.rate_bp, c.fee_bp or 0)
        for c in rows
    ]


def record_settlement(uow: UnitOfWork, order_id: int, shares: Sequence[CommissionShare]) -> None:
    uow.require_active()
    now = uow.clock.now()
    by_id = {c.id: c for c in _commissions(uow, order_id, CommissionStatus.PENDING)}
    for share in shares:
        c = by_id[share.commission_id]
        c.status = CommissionStatus.SETTLED
        c.fee_bp = share.fee_bp
        _set_amounts(c, share)
        c.settled_at = now
        c.updated_at = now
        uow.emit(
            events.CommissionSettled(
                commission_id=c.id,
                order_id=order_id,
                creator_id=c.creator_id,
                product_id=c.product_id,
                gross_fen=c.gross_fen,
                fee_fen=c.fee_fen,
                net_fen=c.net_fen,
            )
        )


def record_clawback(uow: UnitOfWork, order_id: int, shares: Sequence[CommissionShare]) -> None:
    """Settled commission shrunk by a refund; nothing left makes it `clawed_back`."""
    uow.require_active()
    now = uow.clock.now()
    by_id = {
        c.id: c
        for c in _commissions(uow, order_id, CommissionStatus.SETTLED, CommissionStatus.CLAWED_BACK)
    }
    for share in shares:
        c = by_id[share.commission_id]
        taken = c.net_fen - share.net_fen
        _set_amounts(c, share)
        if c.net_fen == 0:
            c.status = CommissionStatus.CLAWED_BACK
        c.updated_at = now
        if taken:
            uow.emit(
                events.CommissionClawedBack(
                    commission_id=c.id,
                    order_id=order_id,
                    creator_id=c.creator_id,
                    amount_fen=taken,
                    net_fen=c.net_fen,
                )
            )


def cancel_commissions(uow: UnitOfWork, order_id: int) -> None:
    """The order was cancelled or refunded in full before settlement."""
    uow.require_active()
    now = uow.clock.now()
    for c in _commissions(uow, order_id, CommissionStatus.PENDING):
        c.status = CommissionStatus.CANCELLED
        c.updated_at = now
        uow.emit(
            events.CommissionCancelled(
                commission_id=c.id, order_id=order_id, creator_id=c.creator_id
            )
        )


# --- internals --------------------------------------------------------------------------------


def _creator_of(uow: UnitOfWork, actor: Actor) -> Creator:
    actor.require(Role.CREATOR)
    creator = content_queries.creator_of_user(uow, actor.user_id)  # its own read
    if creator is None:
        raise forbidden("register as a creator first")
    return creator


def _check_gate(uow: UnitOfWork, shop_id: int, terms: Terms) -> None:
    score = governance_queries.merchant_scores(uow, [shop_id])[shop_id].score
    check_shop_gate(shop_id, score, terms)


def _offer(uow: UnitOfWork, product_id: int, creator_id: int) -> PlanOffer | None:
    plans = uow.session.scalars(
        select(AffiliatePlan).where(
            AffiliatePlan.product_id == product_id, AffiliatePlan.status == PlanStatus.ACTIVE
        )
    )
    offers = [
        PlanOffer(p.id, PlanKind(p.kind), p.creator_id, p.rate_bp, p.created_at) for p in plans
    ]
    return applicable_plan(offers, creator_id)


def _end(uow: UnitOfWork, plan: AffiliatePlan, now: datetime) -> None:
    plan.status = PlanStatus.ENDED
    plan.ended_at = now
    uow.emit(events.PlanEnded(plan_id=plan.id, product_id=plan.product_id))


def _commissions(uow: UnitOfWork, order_id: int, *statuses: CommissionStatus) -> list[Commission]:
    return list(
        uow.session.scalars(
            select(Commission)
            .where(Commission.order_id == order_id, Commission.status.in_(statuses))
            .order_by(Commission.id)
            .with_for_update()
        )
    )


def _ratings(uow: UnitOfWork, creator_ids: set[int]) -> dict[int, CreatorRating]:
    if not creator_ids:
        return {}
    rows = uow.session.execute(
        select(CreatorRatingRecord.creator_id, CreatorRatingRecord.rating).where(
            CreatorRatingRecord.creator_id.in_(sorted(creator_ids))
        )
    )
    return {creator_id: CreatorRating(rating) for creator_id, rating in rows}


def _set_amounts(c: Commission, share: CommissionShare) -> None:
    c.base_fen = share.base_fen
    c.gross_fen = share.gross_fen
    c.fee_fen = share.fee_fen
    c.net_fen = share.net_fen

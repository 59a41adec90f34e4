"""The two rounds of a simulated day, in which every open order and refund request moves on.

Stateless on purpose: the open work is read back from the platform (each merchant's orders by
status, their after-sales requests), not remembered by the simulator, so a run killed at any
moment continues from whatever was committed. Each decision comes from a random stream named by
the order (or the order and the round), so a replayed day decides the same way and its retries
are answered by the services' idempotency keys.

The platform's timers (`Platform.run_timers`: unpaid orders expire, late shipments are
compensated, requests left unanswered are approved, delivered orders are confirmed, completed ones
settled) run once per round, before the first merchant acts, as `xingqu worker` would.
"""

from __future__ import annotations

from collections.abc import Sequence

from xingqu.affiliate import queries as affiliate_queries
from xingqu.affiliate import services as affiliate
from xingqu.aftersales import queries as aftersales_queries
from xingqu.aftersales import services as aftersales
from xingqu.aftersales.rules import ReasonCode, RequestKind, RequestStatus
from xingqu.catalog import queries as catalog_queries
from xingqu.content import queries as content_queries
from xingqu.discovery import services as discovery
from xingqu.shared.access import SYSTEM, Actor, Role
from xingqu.shared.paging import PageRequest
from xingqu.sim import agents
from xingqu.sim.agents import Seller
from xingqu.sim.context import OrderView, RefundView, SimContext, consumer, every_page, merchant
from xingqu.trade import queries as trade_queries
from xingqu.trade import services as trade
from xingqu.trade.rules import OrderStatus

REJECTION_NOTE = "The item was checked before shipping; please contact customer service."
PLANNED_PER_SHOP = 3  # products each merchant puts in the affiliate programme
SELECTED_PER_CREATOR = 4  # products each creator selects (of those it mounts with a plan)
DEFECT_CODES = {
    "defective item": ReasonCode.QUALITY,
    "not as described": ReasonCode.NOT_AS_DESCRIBED,
    "damaged in transit": ReasonCode.DAMAGED_IN_TRANSIT,
}


def morning_round(ctx: SimContext, name: str, seller: Seller) -> None:
    """The merchant decides refund requests and ships paid orders; the carrier delivers.
    `name` ("3-am") names the round in the random streams."""
    _run_timers(ctx, seller)
    actor = merchant(seller.user_id)
    _decide_refunds(ctx, actor, seller)
    for order in _orders(ctx, actor, OrderStatus.PAID):
        _ship_or_refund(ctx, name, actor, seller, order)
    for order in _orders(ctx, actor, OrderStatus.SHIPPED):
        _deliver(ctx, name, order)


def evening_round(ctx: SimContext, name: str, seller: Seller) -> None:
    """The merchant decides refund requests; buyers receive delivered orders (confirming or
    asking for a refund) and pay or cancel the orders they left unpaid."""
    _run_timers(ctx, seller)
    actor = merchant(seller.user_id)
    _decide_refunds(ctx, actor, seller)
    for order in _orders(ctx, actor, OrderStatus.DELIVERED):
        _receive(ctx, name, seller, order)
    for order in _orders(ctx, actor, OrderStatus.PENDING_PAYMENT):
        _settle_unpaid(ctx, name, order)


def _run_timers(ctx: SimContext, seller: Seller) -> None:
    if seller.shop_id == min(ctx.sellers):
        _open_affiliate_programme(ctx)
        ctx.platform.run_timers()


def _open_affiliate_programme(ctx: SimContext) -> None:
    """Once per world: every merchant offers commission on its first products, and every creator
    selects (up to a few of) the products it mounts that have a plan, so that orders from content
    earn commission and settle into creators' accounts."""
    platform = ctx.platform
    with platform.uow(readonly=True) as uow:
        if affiliate_queries.plan_count(uow) > 0:
            return
    for shop_id in sorted(ctx.sellers):
        seller = ctx.sellers[shop_id]
        products = catalog_queries.list_products(
            platform.uow(readonly=True), PageRequest(limit=PLANNED_PER_SHOP), shop_id=shop_id
        )
        rng = ctx.rng("plans", shop_id)
        for product in products.items:
            rate = agents.commission_rate_bp(rng, seller)
            ctx.attempt(
                affiliate.publish_plan,
                platform.uow(),
                merchant(seller.user_id),
                affiliate.PublishPlan(product.id, rate),
                terms=platform.settings.trade,
            )
    with platform.uow(readonly=True) as uow:
        planned = affiliate_queries.products_with_active_plans(uow)
        mounted: dict[int, list[int]] = {}
        for entry in content_queries.published_catalogue(uow):
            for product_id in entry.product_ids:
                picks = mounted.setdefault(entry.creator_id, [])
                if product_id in planned and product_id not in picks:
                    picks.append(product_id)
    for creator_id, product_ids in sorted(mounted.items()):
        profile = content_queries.get_creator(platform.uow(readonly=True), creator_id)
        actor = Actor(profile.creator.user_id, frozenset({Role.CREATOR}))
        for product_id in product_ids[:SELECTED_PER_CREATOR]:
            ctx.attempt(affiliate.select_product, platform.uow(), actor, product_id)


def _orders(ctx: SimContext, actor: Actor, status: OrderStatus) -> Sequence[OrderView]:
    platform = ctx.platform
    orders = every_page(
        lambda page: trade_queries.list_orders(
            platform.uow(readonly=True), actor, page, as_merchant=True, status=status
        )
    )
    return orders


def _decide_refunds(ctx: SimContext, actor: Actor, seller: Seller) -> None:
    platform = ctx.platform
    requests = every_page(
        lambda page: aftersales_queries.list_requests(
            platform.uow(readonly=True),
            actor,
            page,
            as_merchant=True,
            status=RequestStatus.REQUESTED,
        )
    )
    for request in sorted(requests, key=lambda r: r.id):
        if agents.approves_refund(ctx.rng("refund", request.id), seller, request.description):
            done = ctx.attempt(
                aftersales.approve_request,
                platform.uow(),
                actor,
                request.id,
                payments=platform.payments,
                terms=platform.settings.trade,
            )
            if done is not None:
                ctx.report.refunds_approved += 1
                ctx.report.refunded_fen += done.amount_fen
        elif ctx.attempt(
            aftersales.reject_request,
            platform.uow(),
            actor,
            request.id,
            REJECTION_NOTE,
            terms=platform.settings.trade,
        ):
            ctx.report.refunds_rejected += 1


def _settle_unpaid(ctx: SimContext, day: str, order: OrderView) -> None:
    """An order left unpaid (by the buyer, or by a run that was killed) is paid late or cancelled."""
    buyer = consumer(order.buyer_id)
    if agents.pays_late(ctx.rng("unpaid", order.id, day)):
        _pay(ctx, buyer, order)
    elif ctx.attempt(
        trade.cancel_order, ctx.platform.uow(), buyer, order.id, agents.REFUND_REASON_CHANGED_MIND
    ):
        ctx.report.orders_cancelled += 1


def _pay(ctx: SimContext, buyer: Actor, order: OrderView) -> None:
    platform = ctx.platform
    paid = ctx.attempt(
        trade.pay_order,
        platform.uow(),
        buyer,
        order.id,
        f"sim-pay-{order.id}",
        payments=platform.payments,
    )
    if paid is not None and paid.paid_at == ctx.clock.now():
        ctx.report.orders_paid += 1
        ctx.report.gmv_fen += paid.amount_fen


def _ship_or_refund(
    ctx: SimContext, day: str, actor: Actor, seller: Seller, order: OrderView
) -> None:
    if agents.changes_mind(ctx.rng("changes-mind", order.id)):
        request = _request_refund(
            ctx, order, agents.REFUND_REASON_CHANGED_MIND, f"sim-cancel-{order.id}"
        )
        if request is None or request.status != RequestStatus.REJECTED:
            return  # waiting for the merchant (or refused); the goods do not ship meanwhile
    rng = ctx.rng("ship", order.id, day)
    if agents.ships_today(rng, seller, ctx.days_since(order.paid_at)):
        shipped = ctx.attempt(
            trade.ship_order,
            ctx.platform.uow(),
            actor,
            order.id,
            agents.carrier(rng),
            agents.tracking_number(rng),
        )
        if shipped is not None:
            ctx.report.orders_shipped += 1


def _deliver(ctx: SimContext, day: str, order: OrderView) -> None:
    shipped_at = order.shipment.shipped_at if order.shipment is not None else order.shipped_at
    if not agents.delivered_today(ctx.rng("deliver", order.id, day), ctx.days_since(shipped_at)):
        return
    if ctx.attempt(trade.mark_delivered, ctx.platform.uow(), SYSTEM, order.id) is not None:
        ctx.report.orders_delivered += 1


def _receive(ctx: SimContext, day: str, seller: Seller, order: OrderView) -> None:
    """The buyer of a delivered order: asks for a refund if it is faulty, else confirms receipt."""
    if agents.finds_fault(ctx.rng("fault", order.id), seller):
        reason = ctx.rng("fault-reason", order.id).choice(agents.REFUND_REASONS_DEFECT)
        request = _request_refund(ctx, order, reason, f"sim-fault-{order.id}")
        if request is None or request.status != RequestStatus.REJECTED:
            return
        # Refused: the buyer complains about the product, then gives up and confirms receipt.
        if agents.complains(ctx.rng("complains", order.id)):
            _record(ctx, order, "complaint", 0.0)
        _confirm(ctx, order, None)
        return
    rng = ctx.rng("receive", order.id, day)
    if agents.confirms_receipt_today(rng):
        stars = agents.review_stars(rng, seller) if agents.writes_review(rng) else None
        _confirm(ctx, order, stars)


def _confirm(ctx: SimContext, order: OrderView, stars: int | None) -> None:
    buyer = consumer(order.buyer_id)
    if ctx.attempt(trade.confirm_receipt, ctx.platform.uow(), buyer, order.id) is None:
        return
    ctx.report.orders_completed += 1
    if stars is not None:
        _record(ctx, order, "review", float(stars))


def _request_refund(ctx: SimContext, order: OrderView, reason: str, key: str) -> RefundView | None:
    payment = order.payment
    if payment is None:
        return None
    amount = payment.amount_fen - payment.refunded_fen
    if amount <= 0:
        return None
    code = (
        ReasonCode.CHANGED_MIND
        if reason == agents.REFUND_REASON_CHANGED_MIND
        else DEFECT_CODES.get(reason, ReasonCode.QUALITY)
    )
    request = ctx.attempt(
        aftersales.open_request,
        ctx.platform.uow(),
        consumer(order.buyer_id),
        aftersales.OpenRequest(order.id, RequestKind.REFUND_ONLY, code, amount, key, reason),
        payments=ctx.platform.payments,
        terms=ctx.platform.settings.trade,
    )
    if request is not None and request.requested_at == ctx.clock.now():
        ctx.report.refunds_requested += 1
    return request


def _record(ctx: SimContext, order: OrderView, action: str, value: float) -> None:
    rows = [
        discovery.RecordBehaviour(action, product_id=pid, value=value) for pid in order.product_ids
    ]
    written = ctx.attempt(
        discovery.record_behaviours, ctx.platform.uow(), consumer(order.buyer_id), rows
    )
    if written:
        ctx.report.behaviour_rows += written
        if action == "review":
            ctx.report.reviews += 1
        else:
            ctx.report.complaints += 1

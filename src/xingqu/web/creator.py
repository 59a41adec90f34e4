"""The creator console: my content and how it performs, the products each item carries, the
affiliate marketplace (products with commission plans from shops that pass the affiliate
programme's score gate, `affiliate.rules.passes_shop_gate`), my selections and my commission."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from xingqu.affiliate import queries as affiliate_queries
from xingqu.affiliate import services as affiliate
from xingqu.affiliate.rules import passes_shop_gate
from xingqu.api.deps import PlatformDep
from xingqu.catalog import queries as catalog_queries
from xingqu.catalog.queries import ProductCard
from xingqu.content import queries as content_queries
from xingqu.content import services as content
from xingqu.content.models import Creator
from xingqu.discovery import queries as discovery_queries
from xingqu.governance import queries as governance_queries
from xingqu.governance.scoring import stars_for_consumers
from xingqu.ledger import queries as ledger_queries
from xingqu.ledger.rules import Account
from xingqu.shared.access import Actor, Role
from xingqu.shared.errors import forbidden
from xingqu.shared.paging import PageRequest
from xingqu.web import forms
from xingqu.web.labels import UNKNOWN_CATEGORY, category_labels
from xingqu.web.rendering import done_redirect, render
from xingqu.web.session import VerifiedForm, require_role

router = APIRouter(prefix="/creator", include_in_schema=False)

CreatorActor = Annotated[Actor, Depends(require_role(Role.CREATOR))]

CONTENT_PAGE = 20
MARKET_PAGE = 60
STATEMENT_DAYS = 30


@dataclass(frozen=True, slots=True)
class Performance:
    impressions: int
    watches: int
    likes: int
    clicks: int
    orders: int

    @property
    def click_rate(self) -> float:
        return self.clicks / self.impressions if self.impressions else 0.0


@dataclass(frozen=True, slots=True)
class Offer:
    plan_id: int
    rate_bp: int
    kind: str
    product: ProductCard
    shop_score: float
    shop_stars: float
    selected: bool


def _me(platform: PlatformDep, actor: Actor) -> Creator:
    creator = content_queries.creator_of_user(platform.uow(readonly=True), actor.user_id)
    if creator is None:
        raise forbidden("register as a creator first")
    return creator


@router.get("", response_class=HTMLResponse)
def my_content(request: Request, platform: PlatformDep, actor: CreatorActor) -> Response:
    creator = _me(platform, actor)
    page = content_queries.list_content_by_creator(
        platform.uow(readonly=True), creator.id, PageRequest(CONTENT_PAGE)
    )
    rows = []
    for item in page.items:
        counts = discovery_queries.action_counts(platform.uow(readonly=True), content_id=item.id)
        rows.append(
            (
                item,
                Performance(
                    impressions=counts.get("impression", 0),
                    watches=counts.get("watch", 0),
                    likes=counts.get("like", 0),
                    clicks=counts.get("product_click", 0),
                    orders=counts.get("order", 0),
                ),
            )
        )
    followers = content_queries.follower_count(platform.uow(readonly=True), creator.id)
    with platform.uow(readonly=True) as uow:
        reputation = governance_queries.creator_reputations(uow, [creator.id])[creator.id]
    return render(
        request,
        "creator/content_list.html",
        actor=actor,
        creator=creator,
        rows=rows,
        total=page.total,
        followers=followers,
        reputation=reputation,
        labels=category_labels(platform),
    )


@router.get("/content/{content_id}", response_class=HTMLResponse)
def content_page(
    content_id: int, request: Request, platform: PlatformDep, actor: CreatorActor
) -> Response:
    """One of my items: the products it carries, and my selections to mount on it."""
    creator = _me(platform, actor)
    detail = content_queries.get_content(platform.uow(readonly=True), content_id)
    if detail.creator.id != creator.id and not actor.is_operator:
        raise forbidden("this is another creator's content")
    selections = affiliate_queries.my_selections(platform.uow(readonly=True), actor)
    ids = set(detail.item.product_ids) | {s.product_id for s in selections}
    with platform.uow(readonly=True) as uow:
        cards = catalog_queries.sellable_product_cards(uow, ids)
    mounted = [(pid, cards.get(pid)) for pid in detail.item.product_ids]
    mountable = [
        cards[s.product_id]
        for s in selections
        if s.product_id in cards and s.product_id not in detail.item.product_ids
    ]
    return render(
        request,
        "creator/content.html",
        actor=actor,
        item=detail.item,
        mounted=mounted,
        mountable=mountable,
        category=category_labels(platform).get(detail.item.category_id, UNKNOWN_CATEGORY),
    )


@router.post("/content/{content_id}/products")
def mount(
    content_id: int, platform: PlatformDep, actor: CreatorActor, form: VerifiedForm
) -> Response:
    content.mount_product(platform.uow(), actor, content_id, forms.integer(form, "product_id"))
    return done_redirect(f"/creator/content/{content_id}", "mounted")


@router.post("/content/{content_id}/products/{product_id}/remove")
def unmount(
    content_id: int, product_id: int, platform: PlatformDep, actor: CreatorActor, form: VerifiedForm
) -> Response:
    content.unmount_product(platform.uow(), actor, content_id, product_id)
    return done_redirect(f"/creator/content/{content_id}", "unmounted")


@router.get("/marketplace", response_class=HTMLResponse)
def marketplace(request: Request, platform: PlatformDep, actor: CreatorActor) -> Response:
    """Products with a commission plan for me, best rate first, from shops that pass the gate."""
    page = affiliate_queries.plans_for_creator(
        platform.uow(readonly=True), actor, PageRequest(MARKET_PAGE)
    )
    selected = {
        s.product_id for s in affiliate_queries.my_selections(platform.uow(readonly=True), actor)
    }
    with platform.uow(readonly=True) as uow:
        cards = catalog_queries.sellable_product_cards(uow, {p.product_id for p in page.items})
        scores = governance_queries.merchant_scores(uow, {c.shop_id for c in cards.values()})
    terms = platform.settings.trade
    offers: list[Offer] = []
    gated = 0
    seen: set[int] = set()
    for plan in page.items:
        product = cards.get(plan.product_id)
        if product is None or plan.product_id in seen:
            continue
        seen.add(plan.product_id)
        score = scores[product.shop_id].score
        if not passes_shop_gate(score, terms):
            gated += 1
            continue
        offers.append(
            Offer(
                plan.id,
                plan.rate_bp,
                str(plan.kind),
                product,
                score,
                stars_for_consumers(score),
                plan.product_id in selected,
            )
        )
    return render(
        request,
        "creator/marketplace.html",
        actor=actor,
        offers=offers,
        gated=gated,
        gate=terms.affiliate_min_shop_score,
    )


@router.get("/selections", response_class=HTMLResponse)
def selections(request: Request, platform: PlatformDep, actor: CreatorActor) -> Response:
    rows = affiliate_queries.my_selections(platform.uow(readonly=True), actor)
    with platform.uow(readonly=True) as uow:
        cards = catalog_queries.sellable_product_cards(uow, {r.product_id for r in rows})
    return render(
        request,
        "creator/selections.html",
        actor=actor,
        rows=[(r, cards.get(r.product_id)) for r in rows],
    )


@router.post("/selections")
def select(platform: PlatformDep, actor: CreatorActor, form: VerifiedForm) -> Response:
    affiliate.select_product(
        platform.uow(), actor, forms.integer(form, "product_id"), terms=platform.settings.trade
    )
    return done_redirect("/creator/selections", "selected")


@router.post("/selections/{product_id}/remove")
def deselect(
    product_id: int, platform: PlatformDep, actor: CreatorActor, form: VerifiedForm
) -> Response:
    affiliate.deselect_product(platform.uow(), actor, product_id)
    return done_redirect("/creator/selections", "deselected")


@router.get("/commissions", response_class=HTMLResponse)
def commissions(request: Request, platform: PlatformDep, actor: CreatorActor) -> Response:
    """My commissions, newest first, and my commission statement of the last 30 days."""
    creator = _me(platform, actor)
    page = affiliate_queries.commissions(platform.uow(readonly=True), actor, PageRequest(50))
    today = platform.clock.now().astimezone(UTC).date()
    until = datetime.combine(today + timedelta(days=1), time(), tzinfo=UTC)
    statement = ledger_queries.statement(
        platform.uow(readonly=True),
        actor,
        Account.CREATOR_COMMISSIONS,
        creator.id,
        until - timedelta(days=STATEMENT_DAYS),
        until,
    )
    return render(request, "creator/commissions.html", actor=actor, page=page, statement=statement)

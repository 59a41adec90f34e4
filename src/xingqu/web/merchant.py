"""The merchant console, part one: the overview (experience score with its breakdown and its
trend over the window, the service trend, the new-customer share), products with their review status and the evidence of a
rejection, resubmission, commission plans, and sanctions, cases and appeals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from xingqu.affiliate import queries as affiliate_queries
from xingqu.affiliate import services as affiliate
from xingqu.affiliate.rules import PlanKind
from xingqu.api.deps import PlatformDep
from xingqu.catalog import queries as catalog_queries
from xingqu.catalog import services as catalog
from xingqu.catalog.models import Product, Shop
from xingqu.catalog.rules import SkuSpec
from xingqu.governance import cases
from xingqu.governance import queries as governance_queries
from xingqu.governance.scoring import stars_for_consumers
from xingqu.insight.dashboard import shop_dashboard, window_days
from xingqu.shared.access import Actor, Role
from xingqu.shared.errors import forbidden
from xingqu.shared.paging import PageRequest
from xingqu.web import forms
from xingqu.web.charts import LineChart, line_chart
from xingqu.web.evidence import mark_listing
from xingqu.web.figures import dashboard_charts
from xingqu.web.labels import category_labels
from xingqu.web.rendering import done_redirect, render
from xingqu.web.session import VerifiedForm, require_role

router = APIRouter(prefix="/merchant", include_in_schema=False)

Merchant = Annotated[Actor, Depends(require_role(Role.MERCHANT))]

PRODUCTS_PAGE = 50


@dataclass(frozen=True, slots=True)
class ShopScore:
    shop: Shop
    score: float
    stars: float
    stage: str
    computed: bool
    dimensions: dict[str, float]
    indicators: list[dict[str, Any]]
    deductions: int
    trend: LineChart  # the score on each day of the window it was computed


def _shops(platform: PlatformDep, actor: Actor) -> list[Shop]:
    return catalog_queries.shops_of_user(platform.uow(readonly=True), actor.user_id)


# --- overview -----------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def overview(
    request: Request,
    platform: PlatformDep,
    actor: Merchant,
    days: Annotated[int, Query()] = 30,
) -> Response:
    shops = _shops(platform, actor)
    if not shops:
        return render(request, "merchant/register.html", actor=actor)
    with platform.uow(readonly=True) as uow:
        views = governance_queries.merchant_scores(uow, [s.id for s in shops])
    dash = shop_dashboard(platform.uow(readonly=True), actor, days=window_days(days))
    history = governance_queries.merchant_score_history(
        platform.uow(readonly=True), actor, [s.id for s in shops], first=dash.first, last=dash.last
    )
    scores = [
        _score(shop, views[shop.id], _trend(shop.id, history[shop.id], dash.first, dash.last))
        for shop in shops
    ]
    charts = dashboard_charts(
        dash,
        (
            "chart_net_gmv",
            "chart_refund_rate",
            "chart_good_review_rate",
            "chart_new_customer_share",
        ),
    )
    notices = governance_queries.list_notices(platform.uow(readonly=True), actor, PageRequest(5))
    return render(
        request,
        "merchant/overview.html",
        actor=actor,
        scores=scores,
        dash=dash,
        charts=charts,
        notices=notices.items,
        days=window_days(days),
    )


def _score(shop: Shop, view: governance_queries.ScoreView, trend: LineChart) -> ShopScore:
    breakdown = view.breakdown
    return ShopScore(
        shop=shop,
        score=view.score,
        stars=stars_for_consumers(view.score),
        stage=str(breakdown.get("stage", "growth")),
        computed=view.computed_at is not None,
        dimensions=dict(breakdown.get("dimensions", {})),
        indicators=list(breakdown.get("indicators", [])),
        deductions=int(breakdown.get("deductions", 0)),
        trend=trend,
    )


def _trend(
    shop_id: int, days: list[governance_queries.ScoreDay], first: date, last: date
) -> LineChart:
    """The experience score per day from `first` to `last` on a 0–100 axis (a gap on a day
    without a score run)."""
    by_day = {d.day: d.score for d in days}
    window = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return line_chart(
        "chart_experience_score",
        [d.isoformat()[5:] for d in window],
        [by_day.get(d) for d in window],
        lambda v: f"{v:.1f}",
        ceiling=100.0,
        dom_id=f"chart_experience_score-{shop_id}",
    )


@router.post("/register")
def register(platform: PlatformDep, actor: Merchant, form: VerifiedForm) -> Response:
    catalog.register_merchant(
        platform.uow(),
        actor,
        catalog.RegisterMerchant(
            name=forms.text(form, "name", max_length=120),
            shop_name=forms.text(form, "shop_name", max_length=120),
        ),
    )
    return done_redirect("/merchant", "registered")


# --- products -----------------------------------------------------------------------------------


@router.get("/products", response_class=HTMLResponse)
def products(request: Request, platform: PlatformDep, actor: Merchant) -> Response:
    rows: list[Product] = []
    for shop in _shops(platform, actor):
        page = catalog_queries.list_products(
            platform.uow(readonly=True), PageRequest(PRODUCTS_PAGE), shop_id=shop.id, status=None
        )
        rows.extend(page.items)
    rows.sort(key=lambda p: p.id, reverse=True)
    return render(request, "merchant/products.html", actor=actor, products=rows)


@router.get("/products/new", response_class=HTMLResponse)
def new_product(request: Request, platform: PlatformDep, actor: Merchant) -> Response:
    return render(
        request,
        "merchant/product_new.html",
        actor=actor,
        shops=_shops(platform, actor),
        categories=_leaf_categories(platform),
    )


@router.post("/products")
def create_product(platform: PlatformDep, actor: Merchant, form: VerifiedForm) -> Response:
    """List a product; listing review decides at once (live, rejected or held for a person)."""
    product = catalog.create_product(
        platform.uow(),
        actor,
        catalog.CreateProduct(
            shop_id=forms.integer(form, "shop_id"),
            category_id=forms.integer(form, "category_id"),
            title_en=forms.text(form, "title_en", required=False, max_length=120),
            title_zh=forms.text(form, "title_zh", required=False, max_length=120),
            description=forms.text(form, "description", required=False, max_length=10_000),
            skus=[
                SkuSpec(
                    forms.text(form, "sku_name", max_length=80),
                    forms.fen(form, "price"),
                    forms.integer(form, "stock", high=10_000_000),
                )
            ],
        ),
    )
    return done_redirect(f"/merchant/products/{product.id}", "listed")


@router.get("/products/{product_id}", response_class=HTMLResponse)
def product_page(
    product_id: int, request: Request, platform: PlatformDep, actor: Merchant
) -> Response:
    """The product, every review of it with its reasons and the evidence marked in the text,
    the edit form (an edit is reviewed again) and, if rejected, the appeal form."""
    product = _own_product(platform, actor, product_id)
    reviews = governance_queries.product_reviews(platform.uow(readonly=True), actor, product_id)
    latest = reviews[0] if reviews else None
    texts = {
        "title": product.title_zh,
        "title_en": product.title_en,
        "description": product.description,
    }
    marked = mark_listing(texts, latest.findings) if latest is not None else []
    plans = affiliate_plans_of(platform, actor, product_id)
    return render(
        request,
        "merchant/product.html",
        actor=actor,
        product=product,
        reviews=reviews,
        latest=latest,
        marked=marked,
        categories=_leaf_categories(platform),
        labels=category_labels(platform),
        plans=plans,
    )


def affiliate_plans_of(platform: PlatformDep, actor: Actor, product_id: int) -> list[Any]:
    page = affiliate_queries.plans_of_shops(
        platform.uow(readonly=True), actor, PageRequest(100), active_only=True
    )
    return [p for p in page.items if p.product_id == product_id]


@router.post("/products/{product_id}")
def update_product(
    product_id: int, platform: PlatformDep, actor: Merchant, form: VerifiedForm
) -> Response:
    """Fix and resubmit: the edited listing is reviewed again at once."""
    catalog.update_product(
        platform.uow(),
        actor,
        catalog.UpdateProduct(
            product_id=product_id,
            title_en=forms.text(form, "title_en", required=False, max_length=120),
            title_zh=forms.text(form, "title_zh", required=False, max_length=120),
            description=forms.text(form, "description", required=False, max_length=10_000),
            category_id=forms.optional_integer(form, "category_id"),
        ),
    )
    return done_redirect(f"/merchant/products/{product_id}", "resubmitted")


@router.post("/products/{product_id}/plan")
def publish_plan(
    product_id: int, platform: PlatformDep, actor: Merchant, form: VerifiedForm
) -> Response:
    """Offer creators commission on the product (percent, as basis points to the service)."""
    rate_bp = forms.integer(form, "rate_percent", low=1, high=80) * 100
    affiliate.publish_plan(
        platform.uow(),
        actor,
        affiliate.PublishPlan(product_id, rate_bp, PlanKind.OPEN, None),
        terms=platform.settings.trade,
    )
    return done_redirect(f"/merchant/products/{product_id}", "plan_published")


@router.post("/products/{product_id}/delist")
def delist(product_id: int, platform: PlatformDep, actor: Merchant, form: VerifiedForm) -> Response:
    catalog.delist_product(platform.uow(), actor, product_id)
    return done_redirect(f"/merchant/products/{product_id}", "delisted")


@router.post("/products/{product_id}/relist")
def relist(product_id: int, platform: PlatformDep, actor: Merchant, form: VerifiedForm) -> Response:
    catalog.relist_product(platform.uow(), actor, product_id)
    return done_redirect(f"/merchant/products/{product_id}", "relisted")


def _own_product(platform: PlatformDep, actor: Actor, product_id: int) -> Product:
    product = catalog_queries.get_product(platform.uow(readonly=True), product_id)
    with platform.uow(readonly=True) as uow:
        if not actor.is_operator and not catalog.owns_shop(uow, actor, product.shop_id):
            raise forbidden("this product belongs to another merchant's shop")
    return product


def _leaf_categories(platform: PlatformDep) -> list[Any]:
    tree = catalog_queries.category_tree(platform.uow(readonly=True))
    parents = {c.parent_id for c in tree if c.parent_id is not None}
    return [c for c in tree if c.id not in parents]


# --- governance: sanctions, cases, appeals ------------------------------------------------------


@router.get("/governance", response_class=HTMLResponse)
def governance(request: Request, platform: PlatformDep, actor: Merchant) -> Response:
    uow = platform.uow
    return render(
        request,
        "merchant/governance.html",
        actor=actor,
        sanctions=governance_queries.list_sanctions(uow(readonly=True), actor, PageRequest(50)),
        cases=governance_queries.list_cases(uow(readonly=True), actor, PageRequest(50)),
        appeals=governance_queries.list_appeals(uow(readonly=True), actor, PageRequest(50)),
        notices=governance_queries.list_notices(uow(readonly=True), actor, PageRequest(20)),
    )


@router.post("/appeals")
def file_appeal(platform: PlatformDep, actor: Merchant, form: VerifiedForm) -> Response:
    """Appeal a sanction or a rejected listing within 7 days, with a statement and evidence."""
    subject = forms.choice(form, "subject", ("sanction", "listing"))
    evidence = [
        line.strip()
        for line in forms.text(form, "evidence", required=False, max_length=2_000).splitlines()
        if line.strip()
    ]
    cases.file_appeal(
        platform.uow(),
        actor,
        subject=subject,
        subject_id=forms.integer(form, "subject_id"),
        statement=forms.text(form, "statement", max_length=2_000),
        evidence=evidence,
    )
    return done_redirect("/merchant/governance", "appealed")

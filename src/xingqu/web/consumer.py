"""The consumer's pages: the interest feed, content rooms (videos, livestreams, posts), product
pages, and the actions on them (watch, like, share, follow, buy), each recorded in the behaviour
log through discovery's service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from xingqu.affiliate import services as affiliate
from xingqu.api.deps import PlatformDep
from xingqu.catalog import queries as catalog_queries
from xingqu.catalog.rules import ProductStatus
from xingqu.content import queries as content_queries
from xingqu.content import services as content
from xingqu.discovery import services as discovery
from xingqu.discovery.feed import feed
from xingqu.governance import queries as governance_queries
from xingqu.governance.scoring import stars_for_consumers
from xingqu.shared.access import Actor, Role
from xingqu.trade.promises import product_promise
from xingqu.web import forms
from xingqu.web.cards import card
from xingqu.web.labels import UNKNOWN_CATEGORY, category_labels
from xingqu.web.rendering import done_redirect, render
from xingqu.web.session import VerifiedForm, require_role, safe_next

router = APIRouter(include_in_schema=False)

Consumer = Annotated[Actor, Depends(require_role(Role.CONSUMER))]

FEED_PAGE = 12
CLIENT_ACTIONS = ("watch", "like", "share", "product_click", "complaint", "review")


@router.get("/feed", response_class=HTMLResponse)
def feed_page(request: Request, platform: PlatformDep, actor: Consumer) -> Response:
    """The next page of the feed; `?part=cards` answers only the cards (the page's script
    appends them as the reader scrolls). Every card shown is logged as an impression."""
    page = feed(platform.uow(), actor, limit=FEED_PAGE, engine=platform.feed_engine)
    labels = category_labels(platform)
    cards = [card(item, labels) for item in page.items]
    template = "consumer/feed_cards.html" if request.query_params.get("part") == "cards" else None
    return render(
        request,
        template or "consumer/feed.html",
        actor=actor,
        cards=cards,
        request_id=page.request_id,
    )


@router.get("/content/{content_id}", response_class=HTMLResponse)
def content_room(
    content_id: int, request: Request, platform: PlatformDep, actor: Consumer
) -> Response:
    """A video, livestream room or post, with the products it carries."""
    detail = content_queries.get_content(platform.uow(readonly=True), content_id)
    with platform.uow(readonly=True) as uow:
        on_sale = catalog_queries.sellable_product_cards(uow, detail.item.product_ids)
    followers = content_queries.follower_count(platform.uow(readonly=True), detail.creator.id)
    products = [on_sale[pid] for pid in detail.item.product_ids if pid in on_sale]
    labels = category_labels(platform)
    return render(
        request,
        "consumer/content.html",
        actor=actor,
        item=detail.item,
        creator=detail.creator,
        followers=followers,
        products=products,
        category=labels.get(detail.item.category_id, UNKNOWN_CATEGORY),
        request_id=_request_id(request),
    )


@router.get("/products/{product_id}", response_class=HTMLResponse)
def product_page(
    product_id: int, request: Request, platform: PlatformDep, actor: Consumer
) -> Response:
    """A product: its SKUs, the shop's experience stars and promises; buy now or add to cart.
    Opened from a content item (`?content=`), it records the click and the affiliate touch."""
    product = catalog_queries.get_product(platform.uow(readonly=True), product_id)
    shop = catalog_queries.get_shop(platform.uow(readonly=True), product.shop_id)
    with platform.uow(readonly=True) as uow:
        score = governance_queries.merchant_scores(uow, [shop.id])[shop.id]
    promise = product_promise(platform.uow(readonly=True), product_id, platform.settings.trade)
    content_id = _int_param(request, "content")
    on_sale = product.status == ProductStatus.LIVE
    if content_id is not None and on_sale:
        discovery.record_behaviour(
            platform.uow(),
            actor,
            discovery.RecordBehaviour(
                "product_click",
                content_id=content_id,
                product_id=product_id,
                request_id=_request_id(request),
            ),
        )
        affiliate.record_touch(platform.uow(), actor, content_id, product_id)
    return render(
        request,
        "consumer/product.html",
        actor=actor,
        product=product,
        shop=shop,
        stars=stars_for_consumers(score.score),
        promise=promise,
        on_sale=on_sale,
        content_id=content_id,
        key=forms.new_key(),
    )


@router.post("/behaviour")
def record(
    request: Request, platform: PlatformDep, actor: Consumer, form: VerifiedForm
) -> Response:
    """Watch, like, share, click, complain or review: one row of the behaviour log. The page's
    script posts it in the background (204); without script the browser goes back."""
    action = forms.choice(form, "action", CLIENT_ACTIONS)
    discovery.record_behaviour(
        platform.uow(),
        actor,
        discovery.RecordBehaviour(
            action,
            content_id=forms.optional_integer(form, "content_id"),
            product_id=forms.optional_integer(form, "product_id"),
            value=float(forms.integer(form, "value", high=86_400)) if form.get("value") else 0.0,
            request_id=form.get("request_id") or None,
        ),
    )
    return _done(request, form, action)


@router.post("/creators/{creator_id}/follow")
def follow(
    creator_id: int, request: Request, platform: PlatformDep, actor: Consumer, form: VerifiedForm
) -> Response:
    content.follow_creator(platform.uow(), actor, creator_id)
    return _done(request, form, "follow")


def _done(request: Request, form: dict[str, str], what: str) -> Response:
    if request.headers.get("x-requested-with") == "xingqu":
        return Response(status_code=204)
    return done_redirect(safe_next(form.get("back")), what)


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 16 else None


def _request_id(request: Request) -> str | None:
    raw = request.query_params.get("rid", "")
    return raw if raw and len(raw) <= 64 and raw.replace("-", "").isalnum() else None

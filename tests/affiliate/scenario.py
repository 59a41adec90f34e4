"""A promoted product: a shop's product with a commission plan, selected by a creator and
mounted in their content (through the real services; shared by affiliate, ledger and property
tests)."""

from __future__ import annotations

from dataclasses import dataclass

from tests.content import factories as content_factories
from tests.trade.scenario import Listing, listing
from xingqu.affiliate import services as affiliate
from xingqu.bootstrap import Platform
from xingqu.shared.access import Actor


@dataclass(frozen=True)
class Promoted:
    item: Listing
    creator: Actor
    creator_id: int
    content_id: int
    plan_id: int
    rate_bp: int


def promoted(
    p: Platform, *, price_fen: int = 10_000, stock: int = 50, rate_bp: int = 2_000
) -> Promoted:
    item = listing(p, price_fen=price_fen, stock=stock)
    plan = affiliate.publish_plan(
        p.uow(), item.merchant, affiliate.PublishPlan(item.product_id, rate_bp)
    )
    creator, creator_id = content_factories.creator(p)
    affiliate.select_product(p.uow(), creator, item.product_id)
    video = content_factories.item(p, creator, product_ids=[item.product_id])
    return Promoted(item, creator, creator_id, video.id, plan.id, rate_bp)

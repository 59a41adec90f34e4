"""Turning a world plan into a real marketplace, only through the platform's services.

Every account, category, shop, product, creator profile, content item and follow is made by the
same use cases the API calls, one transaction each, with the clock moving so that creation times
are spread realistically over the weeks before the simulated days. The result is the ground truth
(`SimTruth`) that maps the plan's people to their platform ids.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import TypeVar

from xingqu.bootstrap import Platform
from xingqu.catalog import services as catalog
from xingqu.catalog.rules import SkuSpec
from xingqu.content import services as content
from xingqu.identity import services as identity
from xingqu.shared.access import SYSTEM, Actor, Role
from xingqu.shared.clock import ManualClock
from xingqu.sim.progress import Step, no_progress
from xingqu.sim.truth import CategoryTruth, CreatorTruth, MerchantTruth, SimTruth, UserTruth
from xingqu.sim.vocabulary import vocabulary
from xingqu.sim.world import RURAL_TAG, RURAL_TAG_DESCRIPTION, RURAL_TAG_NAME, WorldPlan

T = TypeVar("T")

OPERATOR_USERNAME = "demo-operator"
BUILD_SPAN = timedelta(days=21)
"""Accounts, shops and products appear over the three weeks before the simulation starts; the
content is published over the last week of those."""


def build_world(
    platform: Platform,
    clock: ManualClock,
    plan: WorldPlan,
    *,
    ends_at: datetime,
    passwords: dict[str, str] | None = None,
    step: Step = no_progress,
) -> SimTruth:
    """Create everything in `plan` through the services, finishing at `ends_at`.

    `passwords` maps a demo role (operator, merchant, creator, consumer) to the password of its
    demo account; every other simulated account has none (and so cannot log in with one).
    """
    passwords = passwords or {}
    vocab = vocabulary()
    start = ends_at - BUILD_SPAN
    clock.set(start)
    demo_accounts: dict[str, int] = {}

    operator = identity.register_user(
        platform.uow(),
        identity.RegisterUser(
            OPERATOR_USERNAME,
            "Demo operator 演示运营",
            frozenset({"operator"}),
            passwords.get("operator"),
        ),
        by=SYSTEM,
    ).actor()
    demo_accounts["operator"] = operator.user_id

    category_ids: dict[str, int] = {}
    for category in _tracked(step, "categories", plan.categories):
        created = catalog.create_category(
            platform.uow(),
            operator,
            catalog.CreateCategory(
                category.code, category.name.en, category.name.zh, category.parent_code
            ),
        )
        category_ids[category.code] = created.id
    catalog.create_programme_tag(
        platform.uow(),
        operator,
        catalog.CreateProgrammeTag(
            RURAL_TAG, RURAL_TAG_NAME.en, RURAL_TAG_NAME.zh, RURAL_TAG_DESCRIPTION
        ),
    )

    merchants: list[MerchantTruth] = []
    merchant_actors: dict[int, tuple[Actor, int]] = {}
    tick = _tick(timedelta(days=2), len(plan.merchants))
    for m in _tracked(step, "merchants", plan.merchants):
        clock.advance(tick)
        actor = _register(
            platform,
            m.username,
            m.display_name,
            Role.MERCHANT,
            passwords.get("merchant") if m.demo else None,
        )
        shop = catalog.register_merchant(
            platform.uow(),
            actor,
            catalog.RegisterMerchant(m.shop_name, m.shop_name, RURAL_TAG if m.rural else None),
        )
        merchant_actors[m.key] = (actor, shop.id)
        if m.demo:
            demo_accounts["merchant"] = actor.user_id
        merchants.append(
            MerchantTruth(
                user_id=actor.user_id,
                shop_id=shop.id,
                username=m.username,
                rural=m.rural,
                quality=m.quality,
                ship_delay_days=m.ship_delay_days,
                defect_rate=m.defect_rate,
                approve_rate=m.approve_rate,
                price_level=m.price_level,
            )
        )

    product_ids: dict[int, int] = {}
    products_start = start + timedelta(days=2)
    clock.set(products_start)
    tick = _tick(timedelta(days=8), len(plan.products))
    for p in _tracked(step, "products", plan.products):
        clock.advance(tick)
        actor, shop_id = merchant_actors[p.merchant_key]
        listed = catalog.create_product(
            platform.uow(),
            actor,
            catalog.CreateProduct(
                shop_id=shop_id,
                category_id=category_ids[p.leaf],
                title_en=p.title.en,
                title_zh=p.title.zh,
                description=p.description,
                skus=[SkuSpec(s.name, s.price_fen, s.stock) for s in p.skus],
                tags=list(p.tags),
            ),
        )
        product_ids[p.key] = listed.id

    creators: list[CreatorTruth] = []
    creator_actors: dict[int, tuple[Actor, int]] = {}
    clock.set(start + timedelta(days=10))
    tick = _tick(timedelta(days=2), len(plan.creators))
    for c in _tracked(step, "creators", plan.creators):
        clock.advance(tick)
        actor = _register(
            platform,
            c.username,
            c.display_name,
            Role.CREATOR,
            passwords.get("creator") if c.demo else None,
        )
        profile = content.register_creator(
            platform.uow(), actor, content.RegisterCreator(c.name, c.bio)
        )
        creator_actors[c.key] = (actor, profile.id)
        if c.demo:
            demo_accounts["creator"] = actor.user_id
        creators.append(
            CreatorTruth(actor.user_id, profile.id, c.username, dict(c.mix), c.official)
        )

    users: list[UserTruth] = []
    user_actors: list[Actor] = []
    clock.set(start + timedelta(days=12))
    tick = _tick(timedelta(days=2), len(plan.users))
    for u in _tracked(step, "consumers", plan.users):
        clock.advance(tick)
        actor = _register(
            platform,
            u.username,
            u.display_name,
            Role.CONSUMER,
            passwords.get("consumer") if u.demo else None,
        )
        if u.demo:
            demo_accounts["consumer"] = actor.user_id
        user_actors.append(actor)
        users.append(
            UserTruth(
                user_id=actor.user_id,
                username=u.username,
                display_name=u.display_name,
                interests=dict(u.interests),
                explicit=list(u.explicit),
                latent=list(u.latent),
                price_sensitivity=u.price_sensitivity,
                activity=u.activity,
            )
        )

    content_start = ends_at - timedelta(days=7)
    clock.set(content_start)
    order = sorted(
        plan.contents,
        key=lambda item: (random.Random(f"{plan.seed}-publish-{item.key}").random(), item.key),
    )
    tick = _tick(timedelta(days=7) - timedelta(hours=1), len(order))
    for item in _tracked(step, "content", order):
        clock.advance(tick)
        actor, _ = creator_actors[item.creator_key]
        content.publish_content(
            platform.uow(),
            actor,
            content.PublishContent(
                kind=item.kind,
                title_en=item.title.en,
                title_zh=item.title.zh,
                category_id=category_ids[item.leaf],
                caption=item.caption,
                duration_s=item.duration_s,
                product_ids=[product_ids[k] for k in item.product_keys],
            ),
        )

    clock.set(ends_at - timedelta(minutes=30))
    onboarding = _onboarding_follows(plan, creator_actors)
    for actor, creator_id in _tracked(
        step, "follows", [(user_actors[k], c) for k, c in onboarding]
    ):
        content.follow_creator(platform.uow(), actor, creator_id)

    clock.set(ends_at)
    platform.drain_events()
    categories = [
        CategoryTruth(
            id=category_ids[c.code],
            code=c.code,
            name_en=c.name.en,
            name_zh=c.name.zh,
            level=c.level,
            colour=vocab.colour_of(c.code),
            typical_price_fen=_typical_price(c.code),
        )
        for c in plan.categories
    ]
    return SimTruth(
        seed=plan.seed,
        size={
            "users": plan.size.users,
            "merchants": plan.size.merchants,
            "products": plan.size.products,
            "creators": plan.size.creators,
            "content": plan.size.content,
        },
        built_at=ends_at.isoformat(),
        categories=categories,
        users=users,
        merchants=merchants,
        creators=creators,
        demo_accounts=demo_accounts,
    )


def _register(
    platform: Platform, username: str, display_name: str, role: Role, password: str | None
) -> Actor:
    user = identity.register_user(
        platform.uow(),
        identity.RegisterUser(username, display_name, frozenset({role.value}), password),
        by=SYSTEM,
    )
    return user.actor()


def _onboarding_follows(
    plan: WorldPlan, creators: dict[int, tuple[Actor, int]]
) -> list[tuple[int, int]]:
    """At sign-up, people follow one or two creators of what they *say* they like (their explicit
    interests); their latent interests stay for the feed to find."""
    by_leaf: dict[str, list[int]] = {}
    for c in plan.creators:
        for leaf in c.mix:
            by_leaf.setdefault(leaf, []).append(c.key)
    out: list[tuple[int, int]] = []
    for u in plan.users:
        rng = random.Random(f"{plan.seed}-onboarding-{u.key}")
        candidates = sorted({k for leaf in u.explicit for k in by_leaf.get(leaf, [])})
        if not candidates or rng.random() < 0.3:
            continue
        for key in rng.sample(candidates, k=min(len(candidates), rng.randint(1, 2))):
            out.append((u.key, creators[key][1]))
    return out


def _typical_price(code: str) -> int:
    leaf = next((leaf for leaf in vocabulary().leaves if leaf.code == code), None)
    if leaf is None:
        return 0
    low, high = leaf.price_range_fen
    return round((low * high) ** 0.5)


def _tick(span: timedelta, count: int) -> timedelta:
    return span / max(count, 1)


def _tracked(step: Step, description: str, items: Iterable[T]) -> Iterator[T]:
    seq = list(items)
    advance = step(description, len(seq))
    for item in seq:
        yield item
        advance(1)

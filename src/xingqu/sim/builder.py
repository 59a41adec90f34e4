"""Turning a world plan into a real marketplace, only through the platform's services.

Every account, category, shop, product, creator profile, content item and follow is made by the
same use cases the API calls, one transaction each, with the clock moving so that creation times
are spread realistically over the three weeks before the simulated days. The result is the ground
truth (`SimTruth`) that maps the plan's people to their platform ids.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from xingqu.bootstrap import Platform
from xingqu.catalog import services as catalog
from xingqu.catalog.rules import SkuSpec
from xingqu.content import services as content
from xingqu.governance import listing as governance
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
"""Shops and products appear over the three weeks before the simulation starts, consumers in the
middle of them, and content over the last week."""


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
    build = _Build(platform, clock, plan, passwords or {}, step)
    start = ends_at - BUILD_SPAN
    build.operator_and_categories(start)
    build.merchants(start, timedelta(days=2))
    build.products(start + timedelta(days=2), timedelta(days=8))
    build.review_queue(start + timedelta(days=10) - timedelta(hours=1))
    build.creators(start + timedelta(days=10), timedelta(days=2))
    build.consumers(start + timedelta(days=12), timedelta(days=2))
    build.content(ends_at - timedelta(days=7), timedelta(days=7) - timedelta(hours=1))
    build.onboarding_follows(ends_at - timedelta(minutes=30))
    clock.set(ends_at)
    platform.drain_events()
    return build.truth(ends_at)


@dataclass
class _Build:
    platform: Platform
    clock: ManualClock
    plan: WorldPlan
    passwords: dict[str, str]
    step: Step
    demo_accounts: dict[str, int] = field(default_factory=dict)
    operator: Actor = SYSTEM
    category_ids: dict[str, int] = field(default_factory=dict)
    merchant_actors: dict[int, tuple[Actor, int]] = field(default_factory=dict)  # key -> shop
    product_ids: dict[int, int] = field(default_factory=dict)
    creator_actors: dict[int, tuple[Actor, int]] = field(default_factory=dict)  # key -> creator
    user_actors: dict[int, Actor] = field(default_factory=dict)
    merchant_truth: list[MerchantTruth] = field(default_factory=list)
    creator_truth: list[CreatorTruth] = field(default_factory=list)
    user_truth: list[UserTruth] = field(default_factory=list)

    def operator_and_categories(self, at: datetime) -> None:
        self.clock.set(at)
        self.operator = self._register(
            OPERATOR_USERNAME, "演示运营 Demo operator", Role.OPERATOR, "operator", True
        )
        for category in self._tracked("categories", self.plan.categories, timedelta(0)):
            created = catalog.create_category(
                self.platform.uow(),
                self.operator,
                catalog.CreateCategory(
                    category.code, category.name.en, category.name.zh, category.parent_code
                ),
            )
            self.category_ids[category.code] = created.id
        catalog.create_programme_tag(
            self.platform.uow(),
            self.operator,
            catalog.CreateProgrammeTag(
                RURAL_TAG, RURAL_TAG_NAME.en, RURAL_TAG_NAME.zh, RURAL_TAG_DESCRIPTION
            ),
        )

    def merchants(self, at: datetime, span: timedelta) -> None:
        self.clock.set(at)
        for m in self._tracked("merchants", self.plan.merchants, span):
            actor = self._register(m.username, m.display_name, Role.MERCHANT, "merchant", m.demo)
            shop = catalog.register_merchant(
                self.platform.uow(),
                actor,
                catalog.RegisterMerchant(m.shop_name, m.shop_name, RURAL_TAG if m.rural else None),
            )
            self.merchant_actors[m.key] = (actor, shop.id)
            self.merchant_truth.append(
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

    def products(self, at: datetime, span: timedelta) -> None:
        self.clock.set(at)
        for p in self._tracked("products", self.plan.products, span):
            actor, shop_id = self.merchant_actors[p.merchant_key]
            listed = catalog.create_product(
                self.platform.uow(),
                actor,
                catalog.CreateProduct(
                    shop_id=shop_id,
                    category_id=self.category_ids[p.leaf],
                    title_en=p.title.en,
                    title_zh=p.title.zh,
                    description=p.description,
                    skus=[SkuSpec(s.name, s.price_fen, s.stock) for s in p.skus],
                    tags=list(p.tags),
                ),
            )
            self.product_ids[p.key] = listed.id

    def review_queue(self, at: datetime) -> None:
        """The demo operator works the listing-review queue: the simulated listings are clean,
        so whatever review held (a classifier's false alarm) is approved, as an operator would."""
        self.clock.set(at)
        while held := governance.pending_reviews(self.platform.uow(), self.operator, limit=200):
            for review in held:
                governance.decide_listing(
                    self.platform.uow(),
                    self.operator,
                    review.id,
                    approve=True,
                    note="checked by the demo operator: a clean listing",
                )

    def creators(self, at: datetime, span: timedelta) -> None:
        self.clock.set(at)
        for c in self._tracked("creators", self.plan.creators, span):
            actor = self._register(c.username, c.display_name, Role.CREATOR, "creator", c.demo)
            profile = content.register_creator(
                self.platform.uow(), actor, content.RegisterCreator(c.name, c.bio)
            )
            self.creator_actors[c.key] = (actor, profile.id)
            self.creator_truth.append(
                CreatorTruth(actor.user_id, profile.id, c.username, dict(c.mix), c.official)
            )

    def consumers(self, at: datetime, span: timedelta) -> None:
        self.clock.set(at)
        for u in self._tracked("consumers", self.plan.users, span):
            actor = self._register(u.username, u.display_name, Role.CONSUMER, "consumer", u.demo)
            self.user_actors[u.key] = actor
            self.user_truth.append(
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

    def content(self, at: datetime, span: timedelta) -> None:
        """Creators publish in an interleaved order, not one creator's whole catalogue at once."""
        self.clock.set(at)
        seed = self.plan.seed
        order = sorted(
            self.plan.contents,
            key=lambda item: (random.Random(f"{seed}-publish-{item.key}").random(), item.key),
        )
        for item in self._tracked("content", order, span):
            actor, _ = self.creator_actors[item.creator_key]
            content.publish_content(
                self.platform.uow(),
                actor,
                content.PublishContent(
                    kind=item.kind,
                    title_en=item.title.en,
                    title_zh=item.title.zh,
                    category_id=self.category_ids[item.leaf],
                    caption=item.caption,
                    duration_s=item.duration_s,
                    product_ids=[self.product_ids[k] for k in item.product_keys],
                ),
            )

    def onboarding_follows(self, at: datetime) -> None:
        """At sign-up people follow one or two creators of what they *say* they like (their
        explicit interests); their latent interests are left for the feed to find."""
        self.clock.set(at)
        by_leaf: dict[str, list[int]] = {}
        for c in self.plan.creators:
            for leaf in c.mix:
                by_leaf.setdefault(leaf, []).append(c.key)
        follows: list[tuple[Actor, int]] = []
        for u in self.plan.users:
            rng = random.Random(f"{self.plan.seed}-onboarding-{u.key}")
            candidates = sorted({k for leaf in u.explicit for k in by_leaf.get(leaf, [])})
            if not candidates or rng.random() < 0.3:
                continue
            for key in rng.sample(candidates, k=min(len(candidates), rng.randint(1, 2))):
                follows.append((self.user_actors[u.key], self.creator_actors[key][1]))
        for actor, creator_id in self._tracked("follows", follows, timedelta(0)):
            content.follow_creator(self.platform.uow(), actor, creator_id)

    def truth(self, built_at: datetime) -> SimTruth:
        vocab = vocabulary()
        typical = {leaf.code: leaf.typical_price_fen for leaf in vocab.leaves}
        size = self.plan.size
        return SimTruth(
            seed=self.plan.seed,
            size={
                "users": size.users,
                "merchants": size.merchants,
                "products": size.products,
                "creators": size.creators,
                "content": size.content,
            },
            built_at=built_at.isoformat(),
            categories=[
                CategoryTruth(
                    id=self.category_ids[c.code],
                    code=c.code,
                    name_en=c.name.en,
                    name_zh=c.name.zh,
                    level=c.level,
                    colour=vocab.colour_of(c.code),
                    typical_price_fen=typical.get(c.code, 0),
                )
                for c in self.plan.categories
            ],
            users=self.user_truth,
            merchants=self.merchant_truth,
            creators=self.creator_truth,
            demo_accounts=self.demo_accounts,
        )

    def _register(
        self, username: str, display_name: str, role: Role, demo_role: str, demo: bool
    ) -> Actor:
        """An account with one role; the demo account of its role gets that role's password."""
        user = identity.register_user(
            self.platform.uow(),
            identity.RegisterUser(
                username,
                display_name,
                frozenset({role.value}),
                self.passwords.get(demo_role) if demo else None,
            ),
            by=SYSTEM,
        )
        if demo:
            self.demo_accounts[demo_role] = user.id
        return user.actor()

    def _tracked(self, description: str, items: Iterable[T], span: timedelta) -> Iterator[T]:
        """The items, with a progress bar, the clock moving evenly through `span` as they go."""
        seq = list(items)
        tick = span / max(len(seq), 1)
        advance = self.step(description, len(seq))
        for item in seq:
            self.clock.advance(tick)
            yield item
            advance(1)

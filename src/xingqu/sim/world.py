"""Generating a simulated marketplace: a plan of who and what exists, deterministic for a seed.

The plan is pure data (no I/O). `sim.builder` turns it into real accounts, shops, products,
creators and content through the services; the users' latent interests and the merchants'
quality stay on the simulator's side as ground truth (`sim.truth`).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from xingqu.sim.vocabulary import Bilingual, Leaf, Vocabulary, vocabulary

RURAL_TAG = "rural_support"
RURAL_TAG_NAME = Bilingual("Rural support", "助农")
RURAL_TAG_DESCRIPTION = (
    "Agricultural goods from poor counties; given traffic support and reported on."
)

CONTENT_KINDS = ("video", "live", "post")
COMPANIONS = 2
"""Companion leaves per leaf (see `companion_leaves`)."""
COMPANION_SHARE = 0.8
"""The chance that each latent interest is a companion of an explicit one (else any leaf)."""
# How popular each top category is as an *explicit* interest (what people would search for).
TOP_POPULARITY = {
    "beauty": 1.4,
    "food": 1.3,
    "apparel": 1.3,
    "home": 1.0,
    "digital": 1.0,
    "baby": 0.7,
    "sports": 0.8,
    "agri": 0.4,
}


@dataclass(frozen=True, slots=True)
class WorldSize:
    users: int = 2000
    merchants: int = 100
    products: int = 3000
    creators: int = 200
    content: int = 6000

    def __post_init__(self) -> None:
        if self.users < 1 or self.merchants < 1 or self.creators < 1:
            raise ValueError("a world needs at least one user, merchant and creator")
        if self.products < self.merchants:
            raise ValueError("every merchant needs at least one product")
        if self.content < 1:
            raise ValueError("a world needs at least one content item")


@dataclass(frozen=True, slots=True)
class CategoryPlan:
    code: str
    name: Bilingual
    parent_code: str | None
    level: int


@dataclass(frozen=True, slots=True)
class MerchantPlan:
    key: int
    username: str
    display_name: str
    brand: Bilingual
    shop_name: str
    rural: bool
    quality: float  # latent, 0..1
    ship_delay_days: int  # latent: days (1–4) between payment and shipping
    defect_rate: float  # latent: chance a delivered order is faulty (drives refunds)
    approve_rate: float  # latent: chance a refund request is approved
    price_level: float  # latent: multiplier on the category's typical price
    leaves: tuple[str, ...]
    demo: bool = False


@dataclass(frozen=True, slots=True)
class SkuPlan:
    name: str
    price_fen: int
    stock: int


@dataclass(frozen=True, slots=True)
class ProductPlan:
    key: int
    merchant_key: int
    leaf: str
    title: Bilingual
    description: str
    skus: tuple[SkuPlan, ...]
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CreatorPlan:
    key: int
    username: str
    display_name: str
    name: str
    bio: str
    mix: dict[str, float]  # home category mix over leaves
    official: bool  # a county official hosting agricultural livestreams
    demo: bool = False


@dataclass(frozen=True, slots=True)
class ContentPlan:
    key: int
    creator_key: int
    kind: str
    leaf: str
    title: Bilingual
    caption: str
    duration_s: int
    product_keys: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class UserPlan:
    key: int
    username: str
    display_name: str
    interests: dict[str, float]  # leaf code -> weight, sums to 1
    explicit: tuple[str, ...]  # leaves they would search for
    latent: tuple[str, ...]  # leaves only the feed can reveal
    price_sensitivity: float  # 0 (indifferent) .. 1 (very sensitive)
    activity: float  # chance of opening the app on a given day
    demo: bool = False


@dataclass(frozen=True)
class WorldPlan:
    seed: int
    size: WorldSize
    categories: list[CategoryPlan]
    merchants: list[MerchantPlan]
    products: list[ProductPlan]
    creators: list[CreatorPlan]
    contents: list[ContentPlan]
    users: list[UserPlan]
    leaf_colours: dict[str, str] = field(default_factory=dict)


def generate_world(size: WorldSize, seed: int) -> WorldPlan:
    """The whole marketplace plan for `seed`; the same seed always gives the same plan."""
    vocab = vocabulary()
    rng = random.Random(f"xingqu-world-{seed}")
    categories = [CategoryPlan(n.code, n.name, n.parent_code, n.level) for n in vocab.nodes] + [
        CategoryPlan(leaf.code, leaf.name, leaf.sub_code, 3) for leaf in vocab.leaves
    ]
    merchants = _merchants(rng, vocab, size.merchants)
    products = _products(rng, vocab, merchants, size.products)
    creators = _creators(rng, vocab, size.creators)
    contents = _contents(rng, vocab, creators, products, size.content)
    users = _users(rng, vocab, size.users)
    return WorldPlan(
        seed=seed,
        size=size,
        categories=categories,
        merchants=merchants,
        products=products,
        creators=creators,
        contents=contents,
        users=users,
        leaf_colours={leaf.code: vocab.colour_of(leaf.code) for leaf in vocab.leaves},
    )


# --- people ------------------------------------------------------------------------------------


def person_name(rng: random.Random, vocab: Vocabulary) -> Bilingual:
    surname, given = rng.choice(vocab.surnames), rng.choice(vocab.given_names)
    return Bilingual(f"{surname.en} {given.en}", f"{surname.zh}{given.zh}")


def _display(name: Bilingual) -> str:
    return f"{name.zh} {name.en}"


def _beta(rng: random.Random, a: float, b: float, low: float = 0.0, high: float = 1.0) -> float:
    return round(low + (high - low) * rng.betavariate(a, b), 4)


def _dirichlet(rng: random.Random, keys: list[str], alpha: float) -> dict[str, float]:
    draws = [max(rng.gammavariate(alpha, 1.0), 1e-6) for _ in keys]
    total = sum(draws)
    return {key: draw / total for key, draw in zip(keys, draws, strict=True)}


def _spread(rng: random.Random, total: int, parts: int, sigma: float = 0.6) -> list[int]:
    """Split `total` into `parts` counts of at least one each, with log-normal sizes."""
    weights = [rng.lognormvariate(0.0, sigma) for _ in range(parts)]
    spare = total - parts
    raw = [spare * w / sum(weights) for w in weights]
    counts = [1 + math.floor(r) for r in raw]
    order = sorted(range(parts), key=lambda i: raw[i] - math.floor(raw[i]), reverse=True)
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


# --- merchants and products --------------------------------------------------------------------


def _merchants(rng: random.Random, vocab: Vocabulary, count: int) -> list[MerchantPlan]:
    tops = [t.code for t in vocab.tops if t.code != "agri"]
    rural_count = max(1, round(count * 0.12)) if count >= 2 else 0
    out: list[MerchantPlan] = []
    order = tops[:]
    rng.shuffle(order)
    for key in range(count):
        rural = key >= count - rural_count
        top = "agri" if rural else order[key % len(order)]
        quality = _beta(rng, 4.0, 2.0)
        if rural:
            county = rng.choice(vocab.counties)
            brand = county
            shop = rng.choice(vocab.rural_shops).fill(county=county)
        else:
            first, second = rng.choice(vocab.brand_first), rng.choice(vocab.brand_second)
            brand = Bilingual(f"{first.en}{second.en.lower()}", f"{first.zh}{second.zh}")
            suffix = rng.choice(vocab.shop_suffixes)
            shop = Bilingual(f"{brand.en} {suffix.en}", f"{brand.zh}{suffix.zh}")
        leaves = [leaf.code for leaf in vocab.leaves_of(top)]
        chosen = sorted(rng.sample(leaves, k=min(len(leaves), rng.randint(2, 4))))
        demo = key == 0
        out.append(
            MerchantPlan(
                key=key,
                username="demo-merchant" if demo else f"sim-m{key:04d}",
                display_name=f"{shop.zh} {shop.en}"[:80],
                brand=brand,
                shop_name=f"{shop.zh} {shop.en}"[:120],
                rural=rural,
                quality=quality,
                ship_delay_days=max(
                    1, min(4, round(1 + (1.0 - quality) * 3 + rng.uniform(-0.5, 0.5)))
                ),
                defect_rate=round(0.01 + 0.3 * (1.0 - quality) ** 2, 4),
                approve_rate=round(0.55 + 0.45 * quality, 4),
                price_level=round(rng.uniform(0.8, 1.3), 3),
                leaves=tuple(chosen),
                demo=demo,
            )
        )
    return out


def shelf_price(yuan: float) -> int:
    """A shop-window price in fen: ¥129.00, ¥59.00, ¥9.90 rather than ¥127.43."""
    if yuan >= 20:
        whole = max(19, int(yuan) - int(yuan) % 10 + 9)
        return whole * 100
    return max(1, int(yuan)) * 100 + 90


def _products(
    rng: random.Random, vocab: Vocabulary, merchants: list[MerchantPlan], count: int
) -> list[ProductPlan]:
    leaves = {leaf.code: leaf for leaf in vocab.leaves}
    per_merchant = _spread(rng, count, len(merchants))
    out: list[ProductPlan] = []
    for merchant, n in zip(merchants, per_merchant, strict=True):
        for _ in range(n):
            leaf = leaves[rng.choice(merchant.leaves)]
            out.append(_product(rng, vocab, merchant, leaf, key=len(out)))
    return out


def _product(
    rng: random.Random, vocab: Vocabulary, merchant: MerchantPlan, leaf: Leaf, key: int
) -> ProductPlan:
    noun = rng.choice(leaf.items)
    adjective = rng.choice(vocab.top(leaf.top_code).adjectives)
    title = Bilingual(
        f"{merchant.brand.en} {adjective.en} {noun.en}"[:120],
        f"{merchant.brand.zh}{adjective.zh}{noun.zh}"[:120],
    )
    low, high = leaf.price_range_fen
    base = math.exp(rng.uniform(math.log(low), math.log(high))) * merchant.price_level / 100
    names = sorted(
        rng.sample(range(len(leaf.sku_names)), k=rng.randint(1, min(3, len(leaf.sku_names))))
    )
    skus = tuple(
        SkuPlan(leaf.sku_names[i], shelf_price(base * (1 + 0.45 * rank)), rng.randint(200, 2000))
        for rank, i in enumerate(names)
    )
    return ProductPlan(
        key=key,
        merchant_key=merchant.key,
        leaf=leaf.code,
        title=title,
        description=f"{title.zh} — {title.en}. {leaf.name.zh} / {leaf.name.en}.",
        skus=skus,
        tags=(RURAL_TAG,) if merchant.rural else (),
    )


# --- creators and content ----------------------------------------------------------------------


def _creators(rng: random.Random, vocab: Vocabulary, count: int) -> list[CreatorPlan]:
    tops = [t.code for t in vocab.tops]
    popularity = [TOP_POPULARITY[t] for t in tops]
    officials = max(1, count // 40) if count >= 10 else 0
    out: list[CreatorPlan] = []
    for key in range(count):
        official = key >= count - officials
        person = person_name(rng, vocab)
        if official:
            county = rng.choice(vocab.counties)
            handle = vocab.official_host.fill(county=county)
            homes = ["agri"]
        else:
            homes = [rng.choices(tops, weights=popularity)[0]]
            if rng.random() < 0.4:
                homes.append(rng.choice([t for t in tops if t != homes[0]]))
            handle = rng.choice(vocab.creator_handles).fill(
                given=Bilingual(person.en.split()[1], person.zh[1:]), top=vocab.top(homes[0]).name
            )
        mix: dict[str, float] = {}
        for rank, top in enumerate(homes):
            leaves = [leaf.code for leaf in vocab.leaves_of(top)]
            chosen = rng.sample(leaves, k=rng.randint(2, 4))
            share = 0.75 if len(homes) > 1 and rank == 0 else (0.25 if len(homes) > 1 else 1.0)
            for leaf_code, weight in _dirichlet(rng, chosen, 1.0).items():
                mix[leaf_code] = round(share * weight, 4)
        bio = rng.choice(vocab.creator_bios).fill(top=vocab.top(homes[0]).name)
        demo = key == 0
        out.append(
            CreatorPlan(
                key=key,
                username="demo-creator" if demo else f"sim-c{key:04d}",
                display_name=_display(person),
                name=f"{handle.zh} {handle.en}"[:80],
                bio=f"{bio.zh} {bio.en}",
                mix=mix,
                official=official,
                demo=demo,
            )
        )
    return out


def _contents(
    rng: random.Random,
    vocab: Vocabulary,
    creators: list[CreatorPlan],
    products: list[ProductPlan],
    count: int,
) -> list[ContentPlan]:
    leaves = {leaf.code: leaf for leaf in vocab.leaves}
    by_leaf: dict[str, list[int]] = {}
    by_sub: dict[str, list[int]] = {}
    by_top: dict[str, list[int]] = {}
    for product in products:
        leaf = leaves[product.leaf]
        by_leaf.setdefault(leaf.code, []).append(product.key)
        by_sub.setdefault(leaf.sub_code, []).append(product.key)
        by_top.setdefault(leaf.top_code, []).append(product.key)
    per_creator = (
        _spread(rng, count, len(creators), sigma=0.9)
        if count >= len(creators)
        else [1 if i < count else 0 for i in range(len(creators))]
    )
    out: list[ContentPlan] = []
    for creator, n in zip(creators, per_creator, strict=True):
        codes, weights = list(creator.mix), list(creator.mix.values())
        for _ in range(n):
            leaf = leaves[rng.choices(codes, weights=weights)[0]]
            if creator.official:
                kind = rng.choices(CONTENT_KINDS, weights=(0.2, 0.7, 0.1))[0]
            else:
                kind = rng.choices(CONTENT_KINDS, weights=(0.6, 0.15, 0.25))[0]
            pool = (
                by_leaf.get(leaf.code)
                or by_sub.get(leaf.sub_code)
                or by_top.get(leaf.top_code)
                or []
            )
            mounted = (
                tuple(sorted(rng.sample(pool, k=min(len(pool), rng.randint(1, 3))))) if pool else ()
            )
            noun = rng.choice(leaf.items)
            template = rng.choice(vocab.titles[kind])
            top = vocab.top(leaf.top_code)
            title = template.fill(
                noun=noun,
                leaf=leaf.name,
                sub=vocab.node(leaf.sub_code).name,
                top=top.name,
                adj=rng.choice(top.adjectives),
                n=shelf_price(leaf.price_range_fen[1] / 100) // 100,
            )
            caption = rng.choice(vocab.captions)
            out.append(
                ContentPlan(
                    key=len(out),
                    creator_key=creator.key,
                    kind=kind,
                    leaf=leaf.code,
                    title=Bilingual(_cap(title.en)[:120], title.zh[:120]),
                    caption=f"{caption.zh} {caption.en}",
                    duration_s=_duration(rng, kind),
                    product_keys=mounted,
                )
            )
    return out


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _duration(rng: random.Random, kind: str) -> int:
    if kind == "video":
        return max(8, min(600, round(rng.lognormvariate(math.log(45), 0.6))))
    if kind == "live":
        return rng.randrange(1800, 3 * 3600, 300)
    return 0


# --- consumers ---------------------------------------------------------------------------------


def companion_leaves(vocab: Vocabulary) -> dict[str, tuple[str, ...]]:
    """Taste that spans categories: for each leaf, the leaves of other top categories that people
    who like it are likely to like too without knowing it (fixed for the vocabulary). This is
    the cross-user structure a discovery engine can learn (category co-affinity): a person's
    latent interests are mostly companions of their explicit ones."""
    out: dict[str, tuple[str, ...]] = {}
    for leaf in vocab.leaves:
        rng = random.Random(f"companions-{leaf.code}")
        elsewhere = [other.code for other in vocab.leaves if other.top_code != leaf.top_code]
        out[leaf.code] = tuple(sorted(rng.sample(elsewhere, k=min(COMPANIONS, len(elsewhere)))))
    return out


def _users(rng: random.Random, vocab: Vocabulary, count: int) -> list[UserPlan]:
    tops = [t.code for t in vocab.tops]
    companions = companion_leaves(vocab)
    popularity = [TOP_POPULARITY[t] for t in tops]
    out: list[UserPlan] = []
    for key in range(count):
        n_explicit = 1 + (rng.random() < 0.45) + (rng.random() < 0.1)
        explicit_tops: list[str] = []
        while len(explicit_tops) < n_explicit:
            top = rng.choices(tops, weights=popularity)[0]
            if top not in explicit_tops:
                explicit_tops.append(top)
        explicit: list[str] = []
        for top in explicit_tops:
            leaves = [leaf.code for leaf in vocab.leaves_of(top)]
            explicit.extend(rng.sample(leaves, k=rng.randint(1, 3)))
        latent: list[str] = []
        if rng.random() < 0.75:
            others = [leaf.code for leaf in vocab.leaves if leaf.top_code not in explicit_tops]
            likely = sorted(
                {c for e in explicit for c in companions[e]}
                - {leaf.code for top in explicit_tops for leaf in vocab.leaves_of(top)}
            )
            for _ in range(rng.randint(1, 2)):
                pool = likely if likely and rng.random() < COMPANION_SHARE else others
                pool = [code for code in pool if code not in latent]
                if pool:
                    latent.append(rng.choice(pool))
        weights = _dirichlet(rng, explicit, 0.8)
        latent_share = rng.uniform(0.2, 0.45) if latent else 0.0
        interests = {code: w * (1 - latent_share) for code, w in weights.items()}
        for code, w in _dirichlet(rng, latent, 1.0).items() if latent else ():
            interests[code] = w * latent_share
        demo = key == 0
        out.append(
            UserPlan(
                key=key,
                username="demo-consumer" if demo else f"sim-u{key:05d}",
                display_name=_display(person_name(rng, vocab)),
                interests={code: round(w, 4) for code, w in sorted(interests.items())},
                explicit=tuple(sorted(explicit)),
                latent=tuple(sorted(latent)),
                price_sensitivity=_beta(rng, 2.0, 2.0),
                activity=0.9 if demo else _beta(rng, 1.2, 2.6, 0.05, 0.95),
                demo=demo,
            )
        )
    return out

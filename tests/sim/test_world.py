import re

from xingqu.sim.vocabulary import vocabulary
from xingqu.sim.world import RURAL_TAG, WorldSize, companion_leaves, generate_world, shelf_price

SMALL = WorldSize(users=300, merchants=20, products=400, creators=30, content=600)
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_the_same_seed_always_gives_the_same_world() -> None:
    # given / when
    first, second = generate_world(SMALL, 11), generate_world(SMALL, 11)
    other = generate_world(SMALL, 12)
    # then
    assert first == second
    assert first.users != other.users
    assert first.products != other.products


def test_the_category_tree_has_three_levels_of_real_bilingual_names() -> None:
    # given
    plan = generate_world(SMALL, 1)
    by_level = {level: [c for c in plan.categories if c.level == level] for level in (1, 2, 3)}
    # then
    assert [len(by_level[level]) for level in (1, 2, 3)] == [8, 24, 72]
    assert len({c.code for c in plan.categories}) == len(plan.categories)
    codes = {c.code for c in plan.categories}
    assert all(c.parent_code in codes for c in plan.categories if c.level > 1)
    assert {"beauty.skincare.serum", "food.fresh.fruit", "agri.specialty.honey"} <= codes
    assert all(c.name.en and CJK.search(c.name.zh) for c in plan.categories)


def test_sizes_and_shapes_follow_the_request() -> None:
    # given
    plan = generate_world(SMALL, 3)
    leaves = {leaf.code: leaf for leaf in vocabulary().leaves}
    merchants = {m.key: m for m in plan.merchants}
    # then
    assert (len(plan.users), len(plan.merchants), len(plan.products)) == (300, 20, 400)
    assert (len(plan.creators), len(plan.contents)) == (30, 600)
    assert {p.merchant_key for p in plan.products} == set(merchants)  # every shop sells something
    for p in plan.products:
        merchant = merchants[p.merchant_key]
        assert p.leaf in merchant.leaves
        assert 1 <= len(p.skus) <= 3
        assert p.title.en and CJK.search(p.title.zh)
        low, high = leaves[p.leaf].price_range_fen
        assert all(low * 0.75 <= s.price_fen <= high * 1.3 * 2 for s in p.skus)
        assert p.tags == ((RURAL_TAG,) if merchant.rural else ())
    assert any(m.rural for m in plan.merchants)
    assert all(1 <= m.ship_delay_days <= 4 and 0 < m.defect_rate < 0.35 for m in plan.merchants)


def test_content_is_bilingual_and_valid_for_its_kind() -> None:
    # given
    plan = generate_world(SMALL, 4)
    products = {p.key: p for p in plan.products}
    # then
    assert {c.kind for c in plan.contents} == {"video", "live", "post"}
    for c in plan.contents:
        assert c.title.en and CJK.search(c.title.zh)
        assert (c.duration_s == 0) == (c.kind == "post")
        assert 1 <= len(c.product_keys) <= 3
        top = c.leaf.split(".")[0]
        assert all(products[k].leaf.split(".")[0] == top for k in c.product_keys)


def test_users_have_sparse_interests_some_of_them_latent() -> None:
    # given
    plan = generate_world(SMALL, 5)
    # then
    for u in plan.users:
        assert abs(sum(u.interests.values()) - 1.0) < 0.01
        assert set(u.interests) == set(u.explicit) | set(u.latent)
        assert not set(u.explicit) & set(u.latent)
        explicit_tops = {code.split(".")[0] for code in u.explicit}
        assert all(code.split(".")[0] not in explicit_tops for code in u.latent)
        assert 1 <= len(u.interests) <= 11
        assert 0 <= u.price_sensitivity <= 1 and 0.05 <= u.activity <= 0.95
    with_latent = sum(1 for u in plan.users if u.latent)
    assert 0.6 * len(plan.users) < with_latent < 0.9 * len(plan.users)


def test_shelf_prices_look_like_shop_prices() -> None:
    assert [shelf_price(y) for y in (127.43, 59.2, 20.0, 9.37, 0.4)] == [
        12900,
        5900,
        2900,
        990,
        190,
    ]


def test_latent_interests_mostly_follow_cross_category_taste() -> None:
    # given a world and the fixed companion table of its vocabulary
    plan = generate_world(SMALL, 5)
    companions = companion_leaves(vocabulary())
    # then every leaf has companions outside its own top category
    for leaf, others in companions.items():
        assert len(others) == 2 and all(o.split(".")[0] != leaf.split(".")[0] for o in others)
    # and most latent interests are companions of the user's explicit ones (the learnable part)
    latent = [(u, code) for u in plan.users for code in u.latent]
    linked = sum(1 for u, code in latent if any(code in companions[e] for e in u.explicit))
    assert len(latent) > 100
    assert 0.6 < linked / len(latent) < 0.95

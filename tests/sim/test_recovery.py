import math

import pytest

from xingqu.sim.recovery import latent_recovery
from xingqu.sim.truth import CategoryTruth, SimTruth, UserTruth


def _truth() -> SimTruth:
    categories = [
        CategoryTruth(
            id=10 + i,
            code=code,
            name_en=code,
            name_zh=code,
            level=3,
            colour="#000",
            typical_price_fen=100,
        )
        for i, code in enumerate(["a", "b", "c", "d"])
    ]
    users = [
        # user 1 says they like a; b and c are latent
        UserTruth(1, "u1", "U1", {"a": 0.5, "b": 0.3, "c": 0.2}, ["a"], ["b", "c"], 0.5, 0.5),
        # user 2 has no latent interest
        UserTruth(2, "u2", "U2", {"d": 1.0}, ["d"], [], 0.5, 0.5),
    ]
    return SimTruth(
        seed=1, size={}, built_at="", categories=categories, users=users, merchants=[], creators=[]
    )


def test_recovery_counts_latent_categories_in_the_lists() -> None:
    # given user 1's list shows a, b, a, d (latent b once) and user 2's list shows d, d, d, d
    truth = _truth()
    lists = {1: [10, 11, 10, 13], 2: [13, 13, 13, 13]}
    # when
    r = latent_recovery(lists, truth, k=4, revealed={1: {10, 11}})
    # then
    assert (r.users, r.latent_users, r.unrevealed_users) == (2, 1, 1)
    assert r.latent_hit_rate == 1.0
    assert r.latent_recall == pytest.approx(1 / 2)  # b of {b, c}
    assert r.latent_share == pytest.approx(1 / 4)
    assert r.unrevealed_recall == 0.0  # c is the only unrevealed one, and is not shown
    # nDCG: user 2 is perfect; user 1 gains 0.5, 0.3, 0.5, 0 against 0.5 in every slot
    dcg = 0.5 + 0.3 / math.log2(3) + 0.5 / math.log2(4)
    ideal = sum(0.5 / math.log2(r + 2) for r in range(4))
    assert r.interest_ndcg == pytest.approx((dcg / ideal + 1.0) / 2)


def test_only_the_first_k_count_and_users_without_lists_are_left_out() -> None:
    r = latent_recovery({1: [10, 10, 12]}, _truth(), k=2)
    assert (r.users, r.latent_users, r.latent_hit_rate, r.unrevealed_users) == (1, 1, 0.0, 0)
    with pytest.raises(ValueError):
        latent_recovery({}, _truth(), k=0)

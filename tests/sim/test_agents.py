import random
from statistics import mean

from xingqu.discovery.rules import max_watch_seconds
from xingqu.sim import agents
from xingqu.sim.agents import Seller, Shopper

SHOPPER = Shopper(user_id=1, interests={10: 0.6, 11: 0.4}, price_sensitivity=0.8, activity=0.5)
GOOD = Seller(
    user_id=2, shop_id=3, quality=0.95, ship_delay_days=1, defect_rate=0.01, approve_rate=0.98
)
POOR = Seller(
    user_id=4, shop_id=5, quality=0.2, ship_delay_days=3, defect_rate=0.2, approve_rate=0.6
)


def test_buying_gets_likelier_with_interest_and_rarer_with_price() -> None:
    # given
    typical = 10_000
    # when
    by_interest = [agents.buy_probability(a, typical, typical, 0.5) for a in (0.0, 0.2, 0.5, 0.9)]
    by_price = [
        agents.buy_probability(0.4, p, typical, 0.5) for p in (5_000, 10_000, 20_000, 80_000)
    ]
    # then
    assert by_interest == sorted(by_interest) and len(set(by_interest)) == 4
    assert by_price == sorted(by_price, reverse=True) and len(set(by_price)) == 4
    assert all(0.0 <= p <= 0.9 for p in by_interest + by_price)


def test_price_sensitive_people_are_put_off_more_by_a_dear_price() -> None:
    dear = 30_000
    assert agents.buy_probability(0.4, dear, 10_000, 0.9) < agents.buy_probability(
        0.4, dear, 10_000, 0.1
    )


def test_people_watch_longer_what_they_care_about() -> None:
    # given
    rng = random.Random(1)
    # when
    keen = mean(agents.watch_seconds(rng, 0.5, "video", 60) for _ in range(300))
    bored = mean(agents.watch_seconds(rng, 0.03, "video", 60) for _ in range(300))
    # then
    assert keen > 2 * bored
    assert all(
        agents.watch_seconds(rng, 0.9, "post", 0) <= max_watch_seconds(0) for _ in range(100)
    )
    assert all(agents.watch_seconds(rng, 0.9, "video", 30) <= 30 for _ in range(100))


def test_interest_drives_reactions_and_nobody_refollows() -> None:
    # given
    rng = random.Random(2)

    def reactions(category_id: int, follows: bool) -> list[agents.Reaction]:
        return [
            agents.react(
                rng,
                SHOPPER,
                category_id=category_id,
                kind="video",
                duration_s=60,
                product_prices=[(9_900, 10_000)],
                follows_creator=follows,
            )
            for _ in range(2_000)
        ]

    # when
    liked = reactions(10, False)
    other = reactions(99, False)
    followed = reactions(10, True)
    # then
    assert sum(r.buys for r in liked) > 5 * max(1, sum(r.buys for r in other))
    assert sum(r.clicked_product is not None for r in liked) > sum(
        r.clicked_product is not None for r in other
    )
    assert not any(r.follow for r in followed)
    assert all(not r.buys or r.clicked_product == 0 for r in liked)


def test_merchants_ship_after_their_delay_and_good_ones_approve_more_refunds() -> None:
    # given
    rng = random.Random(3)
    # then
    assert not agents.ships_today(rng, POOR, 2)
    assert agents.ships_today(rng, POOR, 4)
    assert sum(agents.ships_today(rng, GOOD, 1) for _ in range(1_000)) > 900
    good = sum(agents.approves_refund(rng, GOOD, "defective item") for _ in range(1_000))
    poor = sum(agents.approves_refund(rng, POOR, "defective item") for _ in range(1_000))
    assert good > poor + 200
    poor_faults = sum(agents.finds_fault(rng, POOR) for _ in range(1_000))
    good_faults = sum(agents.finds_fault(rng, GOOD) for _ in range(1_000))
    assert poor_faults > 5 * good_faults


def test_the_carrier_delivers_within_two_days() -> None:
    rng = random.Random(4)
    assert not agents.delivered_today(rng, 0)
    assert all(agents.delivered_today(rng, 2) for _ in range(50))

"""The exploration bandit learns from how people answer exploration impressions."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select

from xingqu.bootstrap import Platform
from xingqu.discovery import services
from xingqu.discovery.engine.exploration import (
    RESPONSE_WINDOW,
    ExplorationArms,
    choose_categories,
    learn_from_log,
    read_arms,
)
from xingqu.discovery.feed import feed
from xingqu.discovery.models import BehaviourEvent
from xingqu.discovery.services import RecordBehaviour
from xingqu.shared.clock import ManualClock
from xingqu.sim.context import consumer
from xingqu.sim.truth import SimTruth


def test_the_bandit_learns_each_explored_pair_once(trained: Platform) -> None:
    # given exploration impressions: those of every other person answered with a like
    p = trained
    clock = p.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(hours=1))
    before = _evidence(p)
    liked_requests: set[str] = set()
    for n, user in enumerate(SimTruth.load(p.settings.data_dir).users):
        page = feed(p.uow(), consumer(user.user_id), limit=20, engine=p.feed_engine)
        explored = [i for i in page.items if i.channel.value == "exploration"]
        if n % 2 == 0 and explored:
            liked_requests.add(page.request_id)
            services.record_behaviours(
                p.uow(),
                consumer(user.user_id),
                [RecordBehaviour("like", content_id=i.content_id) for i in explored],
            )
    expected: dict[tuple[int, int], tuple[float, int]] = defaultdict(lambda: (0.0, 0))
    ev = BehaviourEvent
    with p.uow(readonly=True) as uow:
        shown = uow.session.execute(
            select(ev.anchor_category_id, ev.category_id, ev.request_id).where(
                ev.channel == "exploration", ev.occurred_at == clock.now()
            )
        ).all()
    for anchor, category, request_id in shown:
        reward, count = expected[(anchor, category)]
        expected[(anchor, category)] = (reward + (request_id in liked_requests), count + 1)
    assert len(shown) >= 10 and all(anchor is not None for anchor, _, _ in shown)
    # when too little time has passed, nothing is learned
    assert learn_from_log(p.uow()).impressions == 0
    # when the response window has passed
    clock.advance(RESPONSE_WINDOW + timedelta(seconds=1))
    learned = learn_from_log(p.uow())
    # then each (anchor, category) arm counted its likes and its impressions (a like is a
    # reward of 1; an ignored impression earns its watch completion, 0 here)
    assert learned.impressions == len(shown)
    assert learned.arms == len(expected)
    after = _evidence(p)
    for arm, (reward, count) in expected.items():
        r0, n0 = before.get(arm, (0.0, 0))
        assert after[arm] == (pytest.approx(r0 + reward), n0 + count)
    # and learning again changes nothing
    assert learn_from_log(p.uow()).impressions == 0
    assert _evidence(p) == after


def test_the_bandit_prefers_pairs_people_answered() -> None:
    # given two candidate categories with equal co-affinity: 40 of 40 answered vs 0 of 40
    arms = ExplorationArms({(7, 1): (40.0, 40), (7, 2): (0.0, 40)})
    rng = np.random.default_rng(0)
    # when the bandit picks one category for a person interested in 7, many times
    picks = [choose_categories(arms, [(7, 1.0)], [1, 2], {}, rng, 1)[0] for _ in range(200)]
    # then it (almost) always explores the answered pair, from anchor 7
    assert picks.count((1, 7)) >= 198
    # and a category the person has passed over four items of gives way to an unanswered one
    fresh = ExplorationArms({})
    passed = [
        choose_categories(fresh, [(7, 1.0)], [1, 2], {}, rng, 1, passed={1: 4})[0]
        for _ in range(200)
    ]
    assert passed.count((2, 7)) >= 190
    # and co-affinity alone lifts an unexplored pair's prior mean above the base
    assert arms.posterior(7, 3, npmi=1.0)[0] > arms.posterior(7, 3, npmi=0.0)[0]


def _evidence(p: Platform) -> dict[tuple[int, int], tuple[float, int]]:
    with p.uow(readonly=True) as uow:
        return dict(read_arms(uow).evidence)

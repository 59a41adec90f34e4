"""The exploration bandit learns from how people answer exploration impressions."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pytest

from xingqu.bootstrap import Platform
from xingqu.discovery import services
from xingqu.discovery.engine.exploration import (
    PRIOR_ALPHA,
    PRIOR_BETA,
    RESPONSE_WINDOW,
    learn_from_log,
    read_arms,
)
from xingqu.discovery.feed import feed
from xingqu.discovery.services import RecordBehaviour
from xingqu.shared.clock import ManualClock
from xingqu.sim.context import consumer
from xingqu.sim.truth import SimTruth


def test_the_bandit_learns_each_explored_category_once(trained: Platform) -> None:
    # given exploration impressions: half answered with a like, the rest ignored
    p = trained
    clock = p.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(hours=1))
    before = read_arms_of(p)
    shown: dict[int, list[float]] = defaultdict(list)
    for n, user in enumerate(SimTruth.load(p.settings.data_dir).users):
        page = feed(p.uow(), consumer(user.user_id), limit=20, engine=p.feed_engine)
        for item in page.items:
            if item.channel.value != "exploration":
                continue
            liked = n % 2 == 0
            if liked:
                services.record_behaviour(
                    p.uow(),
                    consumer(user.user_id),
                    RecordBehaviour("like", content_id=item.content_id),
                )
            shown[item.category_id].append(1.0 if liked else 0.0)
    assert sum(len(v) for v in shown.values()) >= 10
    # when too little time has passed, nothing is learned
    assert learn_from_log(p.uow()).impressions == 0
    # when the response window has passed
    clock.advance(RESPONSE_WINDOW + timedelta(seconds=1))
    learned = learn_from_log(p.uow())
    # then each category's posterior counted its likes and its ignored impressions
    assert learned.impressions == sum(len(v) for v in shown.values())
    assert learned.rewarded == pytest.approx(sum(sum(v) for v in shown.values()))
    after = read_arms_of(p)
    for category, rewards in shown.items():
        a0, b0 = before.get(category, (PRIOR_ALPHA, PRIOR_BETA))
        assert after[category] == pytest.approx(
            (a0 + sum(rewards), b0 + len(rewards) - sum(rewards))
        )
    # and learning again changes nothing
    assert learn_from_log(p.uow()).impressions == 0
    assert read_arms_of(p) == after


def read_arms_of(p: Platform) -> dict[int, tuple[float, float]]:
    with p.uow(readonly=True) as uow:
        return dict(read_arms(uow).posterior)

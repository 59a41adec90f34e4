"""The daily history of merchant experience scores: one row per shop per day a score run covers
it, readable by the shop's merchant and operators."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests import factories
from tests.governance.support import confirmed_fake_orders
from tests.trade.scenario import listing, paid
from xingqu.bootstrap import Platform
from xingqu.governance import queries, scores
from xingqu.governance.errors import GovernanceError
from xingqu.governance.queries import ScoreDay
from xingqu.shared.clock import ManualClock
from xingqu.shared.errors import DomainError, SharedError

DAY = timedelta(days=1)


def test_each_day_keeps_its_last_score_and_days_without_a_run_have_none(
    any_platform: Platform, clock: ManualClock
) -> None:
    # given a shop scored twice on 1 January (70, then 60 after a confirmed fake-order case),
    # not on the 2nd, and on the 3rd; and a shop never scored
    p = any_platform
    item, quiet = listing(p), listing(p)
    scores.recompute_scores(p.uow, shop_ids=[item.shop_id])
    confirmed_fake_orders(p, item.shop_id)
    clock.advance(timedelta(hours=3))
    scores.recompute_scores(p.uow, shop_ids=[item.shop_id])
    clock.advance(2 * DAY)
    scores.recompute_scores(p.uow, shop_ids=[item.shop_id])
    operator = factories.operator(p)
    # when
    history = queries.merchant_score_history(
        p.uow(readonly=True),
        operator,
        [item.shop_id, quiet.shop_id],
        first=date(2026, 1, 1),
        last=date(2026, 1, 3),
    )
    only_the_2nd = queries.merchant_score_history(
        p.uow(readonly=True), item.merchant, [item.shop_id], first=date(2026, 1, 2), last=date(2026, 1, 2)
    )  # fmt: skip
    # then
    assert history == {
        item.shop_id: [
            ScoreDay(date(2026, 1, 1), 60.0, "growth"),
            ScoreDay(date(2026, 1, 3), 60.0, "growth"),
        ],
        quiet.shop_id: [],
    }
    assert only_the_2nd == {item.shop_id: []}


def test_a_merchant_reads_only_their_own_shops_history_and_the_days_must_be_in_order(
    platform: Platform,
) -> None:
    # given two merchants' shops, both scored
    p = platform
    mine, theirs = listing(p), listing(p)
    scores.recompute_scores(p.uow, shop_ids=[mine.shop_id, theirs.shop_id])
    first = last = date(2026, 1, 1)
    # when / then
    own = queries.merchant_score_history(
        p.uow(readonly=True), mine.merchant, [mine.shop_id], first=first, last=last
    )
    assert own == {mine.shop_id: [ScoreDay(first, 70.0, "growth")]}
    with pytest.raises(DomainError) as other:
        queries.merchant_score_history(
            p.uow(readonly=True), mine.merchant, [mine.shop_id, theirs.shop_id], first=first, last=last
        )  # fmt: skip
    with pytest.raises(DomainError) as backwards:
        queries.merchant_score_history(
            p.uow(readonly=True), mine.merchant, [mine.shop_id], first=last + DAY, last=last
        )
    assert other.value.code == SharedError.FORBIDDEN
    assert backwards.value.code == GovernanceError.INVALID_FILTER


def test_the_timers_recompute_scores_once_a_day(platform: Platform, clock: ManualClock) -> None:
    # given a shop with a paid order and no score run yet
    p = platform
    paid(p, factories.consumer(p), listing(p))
    # when the timers run twice, then a day later
    first = p.run_timers()["governance.daily_scores"]
    again = p.run_timers()["governance.daily_scores"]
    clock.advance(timedelta(days=1))
    next_day = p.run_timers()["governance.daily_scores"]
    # then the shop is scored on the first run and the next day, not in between
    assert (first, again, next_day) == (1, 0, 1)

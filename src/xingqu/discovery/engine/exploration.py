"""The exploration bandit's state: learned from the behaviour log, kept in the database.

Every impression the feed serves from the exploration channel is logged with `channel =
"exploration"`. `learn_from_log` reads those impressions once they are older than the response
window (so the user has had time to respond), scores the user's response to each
(`rules.exploration_reward`: 1 for a click, else the best watch completion, 0 if ignored) and
adds it to the category's Beta posterior; a cursor in `behaviour_log_cursors` makes every
impression count once, even with several servers running it. `ExplorationArms` is the posterior
the serving side reads (cached a few seconds by the engine) to Thompson-sample categories.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select

from xingqu.discovery.models import BehaviourEvent, ExplorationArm, LogCursor
from xingqu.discovery.rules import Action, Channel, exploration_reward, watch_completion
from xingqu.store.uow import UnitOfWork

CURSOR = "exploration-bandit"
RESPONSE_WINDOW = timedelta(minutes=30)
BATCH = 20_000
PRIOR_ALPHA = 1.0
PRIOR_BETA = 1.0


@dataclass(frozen=True)
class ExplorationArms:
    """category id → (alpha, beta) of its Beta posterior (the prior for categories absent)."""

    posterior: dict[int, tuple[float, float]]

    def draw(self, categories: Sequence[int], rng: np.random.Generator) -> np.ndarray:
        """One Thompson draw of the response rate of each of `categories`."""
        alpha = np.array(
            [self.posterior.get(c, (PRIOR_ALPHA, PRIOR_BETA))[0] for c in categories], float
        )
        beta = np.array(
            [self.posterior.get(c, (PRIOR_ALPHA, PRIOR_BETA))[1] for c in categories], float
        )
        return rng.beta(alpha, beta) if len(categories) else np.zeros(0)

    def mean(self, category_id: int) -> float:
        a, b = self.posterior.get(category_id, (PRIOR_ALPHA, PRIOR_BETA))
        return a / (a + b)


def read_arms(uow: UnitOfWork) -> ExplorationArms:
    uow.require_active()
    rows = uow.session.execute(
        select(ExplorationArm.category_id, ExplorationArm.alpha, ExplorationArm.beta)
    )
    return ExplorationArms({cat: (a, b) for cat, a, b in rows})


@dataclass(frozen=True)
class Learned:
    impressions: int  # exploration impressions consumed
    rewarded: float  # sum of their rewards
    categories: int  # arms updated


def learn_from_log(
    uow: UnitOfWork, *, response_window: timedelta = RESPONSE_WINDOW, batch: int = BATCH
) -> Learned:
    """Update the arms from the exploration impressions not learned from yet that are older
    than `response_window` (one transaction; writes nothing when there is nothing new)."""
    with uow:
        s = uow.session
        now = uow.clock.now()
        cursor = s.get(LogCursor, CURSOR, with_for_update=True)
        after = cursor.last_event_id if cursor is not None else 0
        ev = BehaviourEvent
        shown = s.execute(
            select(ev.id, ev.user_id, ev.content_id, ev.category_id, ev.occurred_at)
            .where(
                ev.id > after,
                ev.action == Action.IMPRESSION,
                ev.channel == Channel.EXPLORATION,
                ev.occurred_at <= now - response_window,
            )
            .order_by(ev.id)
            .limit(batch)
        ).all()
        if not shown:
            return Learned(0, 0.0, 0)
        rewards = _rewards(uow, [tuple(row) for row in shown], response_window)
        by_category: dict[int, list[float]] = defaultdict(list)
        for (_, _, _, category, _), reward in zip(shown, rewards, strict=True):
            if category is not None:
                by_category[category].append(reward)
        arms = {
            arm.category_id: arm
            for arm in s.scalars(
                select(ExplorationArm).where(ExplorationArm.category_id.in_(list(by_category)))
            )
        }
        for category, values in by_category.items():
            arm = arms.get(category)
            if arm is None:
                arm = ExplorationArm(
                    category_id=category, alpha=PRIOR_ALPHA, beta=PRIOR_BETA, shown=0
                )
                s.add(arm)
            arm.alpha += float(sum(values))
            arm.beta += float(len(values) - sum(values))
            arm.shown += len(values)
            arm.updated_at = now
        last = shown[-1][0]
        if cursor is None:
            s.add(LogCursor(name=CURSOR, last_event_id=last, updated_at=now))
        else:
            cursor.last_event_id, cursor.updated_at = last, now
        uow.commit()
        return Learned(len(shown), float(sum(rewards)), len(by_category))


def _rewards(uow: UnitOfWork, shown: Sequence[tuple[Any, ...]], window: timedelta) -> list[float]:
    """The response to each impression: what the same user did with the same content after it,
    within `window`."""
    ev = BehaviourEvent
    rows: list[tuple[Any, ...]] = [tuple(r) for r in shown]
    users = sorted({r[1] for r in rows})
    contents = sorted({r[2] for r in rows if r[2] is not None})
    start = min(r[4] for r in rows)
    end = max(r[4] for r in rows) + window
    responses: dict[tuple[int, int | None], list[tuple[datetime, Action, float]]] = defaultdict(
        list
    )
    for user, content, action, value, at in uow.session.execute(
        select(ev.user_id, ev.content_id, ev.action, ev.value, ev.occurred_at).where(
            ev.user_id.in_(users),
            ev.content_id.in_(contents),
            ev.action != Action.IMPRESSION,
            ev.occurred_at >= start,
            ev.occurred_at <= end,
        )
    ):
        responses[(user, content)].append((at, Action(action), value))
    from xingqu.discovery.port import DataPort

    durations = {
        cid: facts.duration_s for cid, facts in DataPort(uow).content_facts(contents).items()
    }
    out: list[float] = []
    for _, user, content, _, at in rows:
        after = [
            (action, value)
            for when, action, value in responses.get((user, content), [])
            if at <= when <= at + window
        ]
        out.append(
            exploration_reward(
                [a for a, _ in after],
                [watch_completion(v, durations.get(content, 0)) for _, v in after],
            )
        )
    return out

"""The exploration bandit: which never-engaged categories to show a user, learned from how
people answer.

Arms are (anchor, category) pairs: the anchor is one of the user's interest categories (0 for a
user without any), the category one they have never engaged with. An arm's response rate is the
mean reward of its exploration impressions (`rules.exploration_reward`: 1 for a click, else the
best watch completion, 0 if ignored). Its Beta posterior starts from a prior whose mean is the
platform's mean exploration reward raised by how well the category is likely to suit the user —
the larger of the pair's co-affinity (NPMI across users, from the model version) and the user's
own leaning toward the category (they watch it longer than usual: `rules.watch_leanings`) —
worth `PRIOR_STRENGTH` impressions, and adds the evidence the log holds:

    alpha = PRIOR_STRENGTH × m + Σ rewards       beta = PRIOR_STRENGTH × (1 − m) + n − Σ rewards
    m = m(c) + (1 − m(c)) × COAFFINITY_LIFT × max(npmi(a, c), lift(a, c), leaning(c) / LEANING_FULL)

where m(c) is how everyone responds to the category when explored, whatever their anchor (its
evidence shrunk toward the platform's mean exploration reward): a hierarchy, so that the few
impressions of one (anchor, category) pair borrow strength from all of the category's.

`choose_categories` scores each candidate category for a user by one Thompson draw per arm,
weighted by the user's interest shares, and explores the best; so the bandit learns companion
interests that co-affinity has not seen yet, and stops showing pairs people ignore.

Every impression the feed serves from the exploration channel is logged with `channel =
"exploration"` and its anchor. `learn_from_log` reads those impressions once they are older than
the response window, scores the response to each and adds it to its arm; a cursor in
`behaviour_log_cursors` makes every impression count once, even with several workers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

import numpy as np
from sqlalchemy import select

from xingqu.discovery.models import BehaviourEvent, ExplorationArm, LogCursor
from xingqu.discovery.rules import (
    Action,
    Channel,
    exploration_reward,
    hidden_interest_odds,
    watch_completion,
)
from xingqu.store.uow import UnitOfWork

CURSOR = "exploration-bandit"
RESPONSE_WINDOW = timedelta(minutes=30)
BATCH = 20_000
NO_ANCHOR = 0
PRIOR_STRENGTH = 8.0
BASE_REWARD = 0.15
"""The prior mean reward of an exploration before the log holds any."""
COAFFINITY_LIFT = 0.5
CATEGORY_PRIOR_STRENGTH = 20.0
LEANING_FULL = 0.3
"""A person's own leaning (`rules.watch_leanings`) of this much counts as full co-affinity."""


@dataclass(frozen=True)
class ExplorationArms:
    """The evidence per arm: (anchor, category) → (Σ rewards, impressions)."""

    evidence: dict[tuple[int, int], tuple[float, int]]

    @cached_property
    def base(self) -> float:
        """The mean reward over every exploration so far (`BASE_REWARD` before 50 of them)."""
        shown = sum(n for _, n in self.evidence.values())
        if shown < 50:
            return BASE_REWARD
        return sum(r for r, _ in self.evidence.values()) / shown

    @cached_property
    def by_category(self) -> dict[int, tuple[float, int]]:
        """The evidence of every category, whatever the anchor: (Σ rewards, impressions)."""
        out: dict[int, tuple[float, int]] = {}
        for (_, category), (reward, shown) in self.evidence.items():
            total, count = out.get(category, (0.0, 0))
            out[category] = (total + reward, count + shown)
        return out

    def category_mean(self, category: int) -> float:
        """How people respond to the category when explored, whoever they are: its evidence
        shrunk toward the platform's mean by `CATEGORY_PRIOR_STRENGTH` impressions."""
        reward, shown = self.by_category.get(category, (0.0, 0))
        return (reward + CATEGORY_PRIOR_STRENGTH * self.base) / (shown + CATEGORY_PRIOR_STRENGTH)

    def posterior(self, anchor: int, category: int, npmi: float = 0.0) -> tuple[float, float]:
        alpha, beta = self.posteriors([anchor], [category], {(anchor, category): npmi})
        return float(alpha[0, 0]), float(beta[0, 0])

    def posteriors(
        self,
        anchors: Sequence[int],
        categories: Sequence[int],
        coaffinity: Mapping[tuple[int, int], float],
        leaning: Mapping[int, float] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(alpha, beta), anchors × categories (module docstring)."""
        own = np.array([(leaning or {}).get(c, 0.0) / LEANING_FULL for c in categories])
        npmi = np.zeros((len(anchors), len(categories)))
        reward = np.zeros_like(npmi)
        shown = np.zeros_like(npmi)
        for i, anchor in enumerate(anchors):
            for j, category in enumerate(categories):
                key = (anchor, category)
                npmi[i, j] = coaffinity.get(key, 0.0)
                reward[i, j], shown[i, j] = self.evidence.get(key, (0.0, 0))
        base = np.array([self.category_mean(c) for c in categories])[None, :]
        suits = np.clip(np.maximum(npmi, own[None, :]), 0.0, 1.0)
        mean = base + (1.0 - base) * COAFFINITY_LIFT * suits
        return PRIOR_STRENGTH * mean + reward, PRIOR_STRENGTH * (1.0 - mean) + shown - reward


def choose_categories(
    arms: ExplorationArms,
    anchors: Sequence[tuple[int, float]],
    candidates: Sequence[int],
    coaffinity: Mapping[tuple[int, int], float],
    rng: np.random.Generator,
    n: int,
    leaning: Mapping[int, float] | None = None,
    passed: Mapping[int, int] | None = None,
) -> list[tuple[int, int]]:
    """Up to `n` of `candidates` to explore for a user with interest shares `anchors`, best
    first, each with the anchor that contributed most: Σ over anchors of share × one Thompson
    draw of the (anchor, candidate) arm, × `rules.hidden_interest_odds` of the items of the
    candidate the user has already passed over (`passed`): the person's own answer outweighs
    what others' answers suggest. `coaffinity` gives the pairs' NPMI (absent: 0)."""
    if not candidates or n <= 0:
        return []
    anchors = list(anchors) or [(NO_ANCHOR, 1.0)]
    alpha, beta = arms.posteriors([a for a, _ in anchors], candidates, coaffinity, leaning)
    shares = np.array([share for _, share in anchors])[:, None]
    draws = rng.beta(alpha, beta) * shares
    odds = np.array([hidden_interest_odds((passed or {}).get(c, 0)) for c in candidates])
    score = draws.sum(axis=0) * odds
    order = np.argsort(-score, kind="stable")[:n]
    return [(int(candidates[j]), int(anchors[int(np.argmax(draws[:, j]))][0])) for j in order]


def read_arms(uow: UnitOfWork) -> ExplorationArms:
    uow.require_active()
    rows = uow.session.execute(
        select(
            ExplorationArm.anchor_category_id,
            ExplorationArm.category_id,
            ExplorationArm.reward,
            ExplorationArm.shown,
        )
    )
    return ExplorationArms({(a, c): (r, n) for a, c, r, n in rows})


@dataclass(frozen=True)
class Learned:
    impressions: int  # exploration impressions consumed
    rewarded: float  # sum of their rewards
    arms: int  # (anchor, category) arms updated


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
            select(
                ev.id,
                ev.user_id,
                ev.content_id,
                ev.category_id,
                ev.occurred_at,
                ev.anchor_category_id,
            )
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
        rewards = _rewards(uow, [tuple(row)[:5] for row in shown], response_window)
        by_arm: dict[tuple[int, int], list[float]] = defaultdict(list)
        for (_, _, _, category, _, anchor), reward in zip(shown, rewards, strict=True):
            if category is not None:
                by_arm[(anchor if anchor is not None else NO_ANCHOR, category)].append(reward)
        held = {
            (arm.anchor_category_id, arm.category_id): arm
            for arm in s.scalars(
                select(ExplorationArm).where(
                    ExplorationArm.category_id.in_(sorted({c for _, c in by_arm}))
                )
            )
        }
        for (anchor, category), values in by_arm.items():
            arm = held.get((anchor, category))
            if arm is None:
                arm = ExplorationArm(
                    anchor_category_id=anchor, category_id=category, reward=0.0, shown=0
                )
                s.add(arm)
            arm.reward += float(sum(values))
            arm.shown += len(values)
            arm.updated_at = now
        last = shown[-1][0]
        if cursor is None:
            s.add(LogCursor(name=CURSOR, last_event_id=last, updated_at=now))
        else:
            cursor.last_event_id, cursor.updated_at = last, now
        uow.commit()
        return Learned(len(shown), float(sum(rewards)), len(by_arm))


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

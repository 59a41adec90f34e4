"""The behaviour log's read side."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from xingqu.discovery.errors import DiscoveryError
from xingqu.discovery.models import BehaviourEvent
from xingqu.discovery.rules import Action, parse_action
from xingqu.shared.access import Actor, Role
from xingqu.shared.clock import as_utc
from xingqu.shared.errors import invalid
from xingqu.shared.paging import Page, PageRequest
from xingqu.store.paging import fetch_page
from xingqu.store.uow import UnitOfWork


def behaviour_of_user(
    uow: UnitOfWork, user_id: int, page: PageRequest, *, action: str | None = None
) -> Page[BehaviourEvent]:
    """A user's behaviour, newest first, optionally of one action."""
    return _page(uow, page, _filters(user_id=user_id, action=action))


def behaviour_of_item(
    uow: UnitOfWork,
    page: PageRequest,
    *,
    content_id: int | None = None,
    product_id: int | None = None,
    action: str | None = None,
) -> Page[BehaviourEvent]:
    """Behaviour about one content item or one product, newest first."""
    if (content_id is None) == (product_id is None):
        raise invalid(DiscoveryError.INVALID_QUERY, "name exactly one of content_id and product_id")
    return _page(uow, page, _filters(content_id=content_id, product_id=product_id, action=action))


def behaviour_log(
    uow: UnitOfWork,
    actor: Actor,
    page: PageRequest,
    *,
    user_id: int | None = None,
    content_id: int | None = None,
    product_id: int | None = None,
    action: str | None = None,
) -> Page[BehaviourEvent]:
    """Anyone's behaviour, filtered: operators only."""
    actor.require(Role.OPERATOR)
    return _page(
        uow,
        page,
        _filters(user_id=user_id, content_id=content_id, product_id=product_id, action=action),
    )


def action_counts(
    uow: UnitOfWork,
    *,
    user_id: int | None = None,
    content_id: int | None = None,
    product_id: int | None = None,
) -> dict[str, int]:
    """How many rows of each action (actions with none are absent)."""
    where = _filters(user_id=user_id, content_id=content_id, product_id=product_id)
    with uow:
        rows = uow.session.execute(
            select(BehaviourEvent.action, func.count())
            .where(*where)
            .group_by(BehaviourEvent.action)
        )
        return {action: n for action, n in rows}


def _filters(
    *,
    user_id: int | None = None,
    content_id: int | None = None,
    product_id: int | None = None,
    action: str | None = None,
) -> list[Any]:
    ev = BehaviourEvent
    where: list[Any] = []
    if user_id is not None:
        where.append(ev.user_id == user_id)
    if content_id is not None:
        where.append(ev.content_id == content_id)
    if product_id is not None:
        where.append(ev.product_id == product_id)
    if action is not None:
        where.append(ev.action == parse_action(action))
    return where


def _page(uow: UnitOfWork, page: PageRequest, where: list[Any]) -> Page[BehaviourEvent]:
    ev = BehaviourEvent
    with uow:
        s = uow.session
        return fetch_page(s, ev, where, [ev.occurred_at.desc(), ev.id.desc()], page)


def product_feedback(
    uow: UnitOfWork,
    since: datetime,
    until: datetime,
    actions: tuple[str, ...] = (Action.REVIEW.value, Action.COMPLAINT.value),
) -> list[tuple[int, int, str, float, datetime]]:
    """Reviews and complaints (or other `actions`) about products in [since, until): (user,
    product, action, value, when), oldest first (governance's shop-risk detectors and scores read
    them; runs inside the caller's transaction)."""
    uow.require_active()
    ev = BehaviourEvent
    rows = uow.session.execute(
        select(ev.user_id, ev.product_id, ev.action, ev.value, ev.occurred_at)
        .where(
            ev.action.in_(list(actions)),
            ev.product_id.is_not(None),
            ev.occurred_at >= since,
            ev.occurred_at < until,
        )
        .order_by(ev.occurred_at, ev.id)
    )
    return [(u, p, a, float(v), as_utc(t)) for u, p, a, v, t in rows if p is not None]


def creator_sales(
    uow: UnitOfWork, creator_ids: Collection[int] | None, since: datetime
) -> list[tuple[int, int, int, datetime]]:
    """Orders led by the creators' content (every creator's with None) since `since`: (creator,
    buyer, product, when) (governance's creator reputation reads them; runs inside the caller's
    transaction)."""
    uow.require_active()
    ev = BehaviourEvent
    where = [
        ev.action == Action.ORDER.value,
        ev.creator_id.is_not(None),
        ev.product_id.is_not(None),
        ev.occurred_at >= since,
    ]
    if creator_ids is not None:
        where.append(ev.creator_id.in_(sorted(set(creator_ids))))
    rows = uow.session.execute(
        select(ev.creator_id, ev.user_id, ev.product_id, ev.occurred_at).where(*where)
    )
    return [(c, u, p, as_utc(t)) for c, u, p, t in rows if c is not None and p is not None]

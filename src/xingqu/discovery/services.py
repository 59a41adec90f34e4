"""Behaviour use cases: what people report doing with content and products."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert

from xingqu.catalog.errors import CatalogError
from xingqu.content.errors import ContentError
from xingqu.discovery.errors import DiscoveryError
from xingqu.discovery.models import BehaviourEvent
from xingqu.discovery.port import DataPort
from xingqu.discovery.rules import Action, check_behaviour, check_watch, parse_action
from xingqu.shared.access import Actor
from xingqu.shared.errors import DomainError, invalid, not_found
from xingqu.store.uow import UnitOfWork

MAX_BATCH = 5_000


@dataclass(frozen=True, slots=True)
class RecordBehaviour:
    action: str
    content_id: int | None = None
    product_id: int | None = None
    value: float = 0.0  # seconds for `watch`, stars for `review`; 0 otherwise
    request_id: str | None = None  # the feed request that showed the content


def record_behaviour(uow: UnitOfWork, actor: Actor, cmd: RecordBehaviour) -> BehaviourEvent:
    """Log one thing the actor did (watch, like, share, click, review, complaint, impression)."""
    actions = _checked([cmd])
    with uow:
        row = _resolve(DataPort(uow), actor.user_id, [cmd], actions, uow.clock.now())[0]
        event = BehaviourEvent(**row)
        uow.session.add(event)
        uow.session.flush()
        uow.commit()
        return event


def record_behaviours(uow: UnitOfWork, actor: Actor, cmds: Sequence[RecordBehaviour]) -> int:
    """Log many behaviours of the actor in one transaction: all of them, or none if one is bad."""
    if not 1 <= len(cmds) <= MAX_BATCH:
        raise invalid(DiscoveryError.INVALID_BATCH, f"a batch holds 1 to {MAX_BATCH} behaviours")
    actions = _checked(cmds)
    with uow:
        rows = _resolve(DataPort(uow), actor.user_id, cmds, actions, uow.clock.now())
        uow.session.execute(insert(BehaviourEvent), rows)
        uow.commit()
        return len(rows)


def _checked(cmds: Sequence[RecordBehaviour]) -> list[Action]:
    actions: list[Action] = []
    for index, cmd in enumerate(cmds):
        try:
            action = parse_action(cmd.action)
            check_behaviour(
                action,
                content_id=cmd.content_id,
                product_id=cmd.product_id,
                value=cmd.value,
                request_id=cmd.request_id,
            )
        except DomainError as exc:
            raise _at(index, exc) from None
        actions.append(action)
    return actions


def _resolve(
    data: DataPort,
    user_id: int,
    cmds: Sequence[RecordBehaviour],
    actions: Sequence[Action],
    now: datetime,
) -> list[dict[str, Any]]:
    """Rows for the checked commands: targets must exist; creator and category are filled in."""
    contents = data.content_facts({c.content_id for c in cmds if c.content_id is not None})
    categories = data.product_categories({c.product_id for c in cmds if c.product_id is not None})
    complained = {c.product_id for c, a in zip(cmds, actions, strict=True) if a == Action.COMPLAINT}
    shops = data.shops_of_products({pid for pid in complained if pid is not None})
    rows: list[dict[str, Any]] = []
    for index, (cmd, action) in enumerate(zip(cmds, actions, strict=True)):
        facts = contents.get(cmd.content_id) if cmd.content_id is not None else None
        try:
            if cmd.content_id is not None and facts is None:
                raise not_found(ContentError.CONTENT_NOT_FOUND, "content", cmd.content_id)
            if cmd.product_id is not None and cmd.product_id not in categories:
                raise not_found(CatalogError.PRODUCT_NOT_FOUND, "product", cmd.product_id)
            if action == Action.WATCH and facts is not None:
                check_watch(cmd.value, facts.duration_s)
        except DomainError as exc:
            raise _at(index, exc) from None
        rows.append(
            {
                "user_id": user_id,
                "action": action.value,
                "content_id": cmd.content_id,
                "product_id": cmd.product_id,
                "creator_id": facts.creator_id if facts else None,
                "category_id": categories[cmd.product_id]
                if cmd.product_id is not None
                else (facts.category_id if facts else None),
                "shop_id": shops.get(cmd.product_id)
                if action == Action.COMPLAINT and cmd.product_id is not None
                else None,
                "value": float(cmd.value),
                "request_id": cmd.request_id,
                "source_event_id": None,
                "source_seq": 0,
                "occurred_at": now,
            }
        )
    return rows


def _at(index: int, exc: DomainError) -> DomainError:
    """The same error, saying which behaviour of the request it is about."""
    return DomainError(exc.code, exc.message, exc.kind, {**exc.details, "index": index})

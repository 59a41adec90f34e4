"""Relaying the outbox: in-process handlers, then an optional external stream (Redis Streams).

Delivery is at least once: a row is marked published only after its handlers ran in the same
transaction, so a crash between the two steps replays the row. Handlers are idempotent, and
external consumers deduplicate on the event id that travels with every message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import select

from xingqu.store.outbox import OutboxEvent
from xingqu.store.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, OutboxEvent], None]
"""Reacts to one event inside the relay's (already active) unit of work; never commits."""


class Publisher(Protocol):
    def publish(self, events: Sequence[OutboxEvent]) -> None: ...

    def close(self) -> None: ...


class NoPublisher:
    """The embedded default: the outbox table itself is the log other processes read."""

    def publish(self, events: Sequence[OutboxEvent]) -> None:
        return None

    def close(self) -> None:
        return None


class RedisStreamPublisher:
    """Appends each event to a Redis stream (``XADD``), capped to about `maxlen` entries."""

    def __init__(self, url: str, stream: str = "xingqu:events", maxlen: int = 1_000_000) -> None:
        import redis  # optional dependency: xingqu[redis]

        self.client: Any = redis.Redis.from_url(url)
        self.stream = stream
        self.maxlen = maxlen

    def publish(self, events: Sequence[OutboxEvent]) -> None:
        if not events:
            return
        pipe = self.client.pipeline(transaction=False)
        for row in events:
            pipe.xadd(
                self.stream,
                {"id": str(row.id), "name": row.name, "event": row.as_json()},
                maxlen=self.maxlen,
                approximate=True,
            )
        pipe.execute()

    def close(self) -> None:
        self.client.close()


def make_publisher(url: str) -> Publisher:
    if url == "outbox":
        return NoPublisher()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStreamPublisher(url)
    raise ValueError(f"unsupported event bus URL {url!r}: use 'outbox' or redis://")


class OutboxRelay:
    """Drains pending outbox rows in id order: handlers, external publish, then mark published."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        handlers: Mapping[str, Sequence[Handler]],
        publisher: Publisher | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.handlers = handlers
        self.publisher = publisher or NoPublisher()

    def drain(self, *, batch: int = 500, max_batches: int | None = None) -> int:
        """Relay pending events until none are left (or `max_batches`); returns how many."""
        done = 0
        batches = 0
        while max_batches is None or batches < max_batches:
            count = self._relay_batch(batch)
            done += count
            batches += 1
            if count < batch:
                break
        return done

    def _relay_batch(self, batch: int) -> int:
        uow = self.uow_factory()
        with uow:
            query = (
                select(OutboxEvent)
                .where(OutboxEvent.published_at.is_(None))
                .order_by(OutboxEvent.id)
                .limit(batch)
            )
            if uow.session.bind is not None and uow.session.bind.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = list(uow.session.scalars(query))
            if not rows:
                return 0
            now = uow.clock.now()
            for row in rows:
                for handler in self.handlers.get(row.name, ()):
                    handler(uow, row)
                row.published_at = now
            uow.flush()
            self.publisher.publish(rows)
            uow.commit()
            return len(rows)

    def pending(self) -> int:
        from sqlalchemy import func

        uow = self.uow_factory(readonly=True)
        with uow:
            return (
                uow.session.scalar(
                    select(func.count())
                    .select_from(OutboxEvent)
                    .where(OutboxEvent.published_at.is_(None))
                )
                or 0
            )

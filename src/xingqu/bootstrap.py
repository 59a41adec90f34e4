"""The composition root: the one place that wires settings, engine, units of work, ports and bus."""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from xingqu.config import Settings
from xingqu.discovery.engine.registry import ModelRegistry
from xingqu.discovery.feed import FeedEngine
from xingqu.discovery.ranking.rerank import RerankPolicy
from xingqu.discovery.rules import parse_channels
from xingqu.shared.clock import Clock, SystemClock
from xingqu.store import migrate
from xingqu.store.bus import Handler, OutboxRelay, make_publisher
from xingqu.store.engine import (
    WalCheckpointer,
    is_sqlite_file,
    make_engine,
    refresh_statistics,
)
from xingqu.store.uow import UnitOfWork, UnitOfWorkFactory
from xingqu.trade.payments import FakePaymentProvider, PaymentProvider


def event_handlers() -> dict[str, list[Handler]]:
    """Which context reacts to which event (name → handlers run by the outbox relay)."""
    handlers: dict[str, list[Handler]] = defaultdict(list)
    from xingqu.discovery.reactions import REACTIONS as discovery_reactions

    for name, handler in discovery_reactions:
        handlers[name].append(handler)
    return dict(handlers)


def timer_jobs() -> list[tuple[str, Callable[[Any], int]]]:
    """The timers, in the order they run: trade's first (an expired order is cancelled before
    after-sales looks at it), then after-sales' and customer service's."""
    from xingqu.aftersales.timers import JOBS as aftersales_jobs
    from xingqu.governance.timers import JOBS as governance_jobs
    from xingqu.trade.timers import JOBS as trade_jobs

    return [*trade_jobs, *aftersales_jobs, *governance_jobs]


@dataclass
class Platform:
    """Everything a surface (API, CLI, simulator, worker) needs, built once."""

    settings: Settings
    engine: Engine
    clock: Clock
    uows: UnitOfWorkFactory
    relay: OutboxRelay
    payments: PaymentProvider
    feed_engine: FeedEngine
    extras: dict[str, object] = field(default_factory=dict)

    def uow(self, *, readonly: bool = False) -> UnitOfWork:
        return self.uows(readonly=readonly)

    def refresh_statistics(self) -> None:
        """Refresh the database's query-planner statistics (`store.engine.refresh_statistics`)."""
        refresh_statistics(self.engine)

    def prepare_to_serve(self) -> None:
        """What a server does before it takes requests: fresh planner statistics, the feed's
        warm-up (the current model version loaded, its caches filled), the write-ahead log
        checkpointed in the background on SQLite (`store.engine.WalCheckpointer`), and the
        objects that live as long as the process set aside from the garbage collector: a full
        collection would otherwise walk the model and the caches, 100 ms and more (measured on
        100,000 content items), every few hundred feeds."""
        self.refresh_statistics()
        self.feed_engine.warm_up(self.uow())
        if is_sqlite_file(self.engine):
            checkpointer = WalCheckpointer(self.engine)
            checkpointer.start()
            self.extras["wal_checkpointer"] = checkpointer
        gc.collect()
        gc.freeze()

    def drain_events(self) -> int:
        return self.relay.drain()

    def run_timers(self) -> dict[str, int]:
        """Run every trade and after-sales timer once (`xingqu worker` does this on a schedule);
        returns how many items each changed. Idempotent: a second run finds nothing due."""
        from xingqu.trade.timers import TimerRun

        run = TimerRun(self.uows, self.payments, self.settings.trade)
        return {name: job(run) for name, job in timer_jobs()}

    def close(self) -> None:
        checkpointer = self.extras.pop("wal_checkpointer", None)
        if isinstance(checkpointer, WalCheckpointer):
            checkpointer.stop()
        self.relay.publisher.close()
        self.engine.dispose()


def build_platform(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    migrate_schema: bool = True,
    handlers: dict[str, Sequence[Handler]] | None = None,
    payments: PaymentProvider | None = None,
) -> Platform:
    settings = settings or Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url, echo=settings.sql_echo)
    if migrate_schema:
        migrate.upgrade(engine)
    clock = clock or SystemClock()
    uows = UnitOfWorkFactory(engine, clock)
    relay = OutboxRelay(
        uows,
        handlers if handlers is not None else event_handlers(),
        make_publisher(settings.event_bus_url),
    )
    return Platform(
        settings=settings,
        engine=engine,
        clock=clock,
        uows=uows,
        relay=relay,
        payments=payments or FakePaymentProvider(),
        feed_engine=FeedEngine(
            ModelRegistry(settings.resolved_models_dir),
            poll_s=settings.model_poll_s,
            channels=parse_channels(settings.feed_channels),
            policy=RerankPolicy(exploration_slots=tuple(settings.exploration_slots)),
        ),
    )

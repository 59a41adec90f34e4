"""What every part of a simulated day needs: the platform, the clock, the ground truth, the report."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ParamSpec, Protocol, TypeVar

from xingqu.bootstrap import Platform
from xingqu.shared.access import Actor, Role
from xingqu.shared.clock import ManualClock
from xingqu.shared.errors import DomainError
from xingqu.shared.paging import MAX_LIMIT, Page, PageRequest
from xingqu.sim.agents import Seller, Shopper
from xingqu.sim.report import SimulationReport

P = ParamSpec("P")
T = TypeVar("T")


class PaymentView(Protocol):
    @property
    def amount_fen(self) -> int: ...

    @property
    def refunded_fen(self) -> int: ...

    @property
    def paid_at(self) -> datetime: ...


class ShipmentView(Protocol):
    @property
    def shipped_at(self) -> datetime: ...


class OrderView(Protocol):
    """What the simulator reads of an order returned by trade's queries (it never holds rows)."""

    @property
    def id(self) -> int: ...

    @property
    def buyer_id(self) -> int: ...

    @property
    def paid_at(self) -> datetime | None: ...

    @property
    def shipped_at(self) -> datetime | None: ...

    @property
    def product_ids(self) -> list[int]: ...

    @property
    def payment(self) -> PaymentView | None: ...

    @property
    def shipment(self) -> ShipmentView | None: ...


class RefundView(Protocol):
    @property
    def status(self) -> str: ...

    @property
    def requested_at(self) -> datetime: ...


@dataclass
class SimContext:
    platform: Platform
    clock: ManualClock
    seed: int
    report: SimulationReport
    shoppers: dict[int, Shopper]  # by user id
    sellers: dict[int, Seller]  # by shop id
    typical_price_fen: dict[int, int]  # leaf category id -> a typical price there
    epoch: datetime  # the local midnight that starts this run's day numbers
    day_length: timedelta
    ends_at: datetime  # the end of the last simulated day: nothing happens after it

    def attempt(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
        """Call a service; a refusal (a typed domain error) is counted, not fatal.

        Simulated people try things the platform may refuse (an item sold out since the feed
        showed it, an order changed by a replayed day after a crash); the platform's answer is
        the point, and the run goes on.
        """
        try:
            return call(*args, **kwargs)
        except DomainError as exc:
            self.report.refused[str(exc.code)] += 1
            return None

    def scaled(self, duration: timedelta) -> timedelta:
        """A real-life duration in this run's time scale (days may be shorter than 24 hours)."""
        return duration * (self.day_length / timedelta(days=1))

    def day_of(self, when: datetime) -> int:
        """Which simulated day of this run `when` falls on (0 is the first; earlier is negative)."""
        return (when - self.epoch) // self.day_length

    def days_since(self, when: datetime | None) -> int:
        """Calendar days from `when` to now: 1 for anything that happened yesterday."""
        if when is None:
            return 0
        return self.day_of(self.clock.now()) - self.day_of(when)

    def rng(self, *parts: object) -> random.Random:
        """A reproducible random stream named by `parts` (a day, an order, a person...)."""
        return random.Random("-".join(["xingqu-sim", str(self.seed), *map(str, parts)]))


def consumer(user_id: int) -> Actor:
    return Actor(user_id=user_id, roles=frozenset({Role.CONSUMER}))


def merchant(user_id: int) -> Actor:
    return Actor(user_id=user_id, roles=frozenset({Role.MERCHANT}))


def every_page(fetch: Callable[[PageRequest], Page[T]]) -> list[T]:
    """All items of a paged query (read in pages of the maximum size)."""
    out: list[T] = []
    offset = 0
    while True:
        page = fetch(PageRequest(limit=MAX_LIMIT, offset=offset))
        out.extend(page.items)
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return out

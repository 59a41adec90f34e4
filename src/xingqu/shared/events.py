"""Domain events: what happened, in the past tense. Written to the outbox in the same transaction."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every domain event. Subclasses are frozen dataclasses with JSON-friendly fields.

    `name` is the stable topic (e.g. ``trade.order_paid``); `aggregate` and `aggregate_id` say which
    thing the event is about, so the outbox can be read per aggregate.
    """

    name: ClassVar[str]
    aggregate: ClassVar[str]

    @property
    def aggregate_id(self) -> str:
        first = dataclasses.fields(self)[0]
        return str(getattr(self, first.name))

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            out[field.name] = value.isoformat() if isinstance(value, datetime) else value
        return out


_REGISTRY: dict[str, type[Event]] = {}


def register(cls: type[Event]) -> type[Event]:
    """Class decorator: makes an event type known by its name so outbox rows can be decoded."""
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"event name {cls.name!r} registered twice")
    _REGISTRY[cls.name] = cls
    return cls


def event_type(name: str) -> type[Event] | None:
    return _REGISTRY.get(name)

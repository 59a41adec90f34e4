"""What happened in identity."""

from __future__ import annotations

from dataclasses import dataclass

from xingqu.shared.events import Event, register


@register
@dataclass(frozen=True, kw_only=True)
class UserRegistered(Event):
    name = "identity.user_registered"
    aggregate = "user"
    user_id: int
    roles: list[str]

"""Who is acting: the authenticated actor passed to every service that checks access."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from xingqu.shared.errors import forbidden


class Role(StrEnum):
    CONSUMER = "consumer"
    CREATOR = "creator"
    MERCHANT = "merchant"
    OPERATOR = "operator"


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int
    roles: frozenset[Role] = field(default_factory=frozenset)

    def has(self, role: Role) -> bool:
        return role in self.roles

    def require(self, *roles: Role) -> None:
        """Raise `forbidden` unless the actor holds at least one of `roles`."""
        if not any(role in self.roles for role in roles):
            wanted = " or ".join(str(r) for r in roles)
            raise forbidden(f"this needs the {wanted} role")

    @property
    def is_operator(self) -> bool:
        return Role.OPERATOR in self.roles


SYSTEM = Actor(user_id=0, roles=frozenset({Role.OPERATOR}))
"""The platform itself (timers, the simulator's merchant-side automation is *not* SYSTEM)."""

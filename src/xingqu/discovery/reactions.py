"""How discovery reacts to other contexts' events (wired by the composition root)."""

from __future__ import annotations

from xingqu.store.bus import Handler

REACTIONS: list[tuple[str, Handler]] = []

"""Progress reporting for long simulator phases (the shared `Step` protocol)."""

from __future__ import annotations

from xingqu.shared.progress import Advance, Step, no_progress, rich_steps

__all__ = ["Advance", "Step", "no_progress", "rich_steps"]

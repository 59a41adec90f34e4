"""Progress reporting for long work (simulation, training): silent by default, rich progress bars
in the CLI."""

from __future__ import annotations

from collections.abc import Callable

from rich.progress import Progress

Advance = Callable[[int], None]
Step = Callable[[str, int], Advance]
"""`step(description, total)` starts a phase of `total` units and returns `advance(n)`."""


def no_progress(description: str, total: int) -> Advance:
    return lambda n: None


def rich_steps(progress: Progress) -> Step:
    """A `Step` that shows each phase as a bar of `progress` (which the caller starts and stops)."""

    def step(description: str, total: int) -> Advance:
        task = progress.add_task(description, total=total)

        def advance(n: int) -> None:
            progress.advance(task, n)

        return advance

    return step

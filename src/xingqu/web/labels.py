"""What pages call things: category names and colours, star ratings, times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from xingqu.bootstrap import Platform
from xingqu.catalog import queries as catalog
from xingqu.shared.clock import as_utc
from xingqu.sim.vocabulary import vocabulary


@dataclass(frozen=True, slots=True)
class CategoryLabel:
    en: str
    zh: str
    colour: str


UNKNOWN_CATEGORY = CategoryLabel("", "", "#546e7a")


def category_labels(platform: Platform) -> dict[int, CategoryLabel]:
    vocab = vocabulary()
    return {
        c.id: CategoryLabel(c.name_en, c.name_zh, vocab.colour_of(c.code))
        for c in catalog.category_tree(platform.uow(readonly=True))
    }


def when(value: datetime | None) -> str:
    """A UTC time as pages show it: 2026-03-02 04:30 UTC."""
    return "" if value is None else as_utc(value).strftime("%Y-%m-%d %H:%M UTC")


def percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def duration(kind: str, seconds: int) -> str:
    if kind == "post" or seconds <= 0:
        return ""
    if seconds >= 3600:
        hours, rest = divmod(seconds, 3600)
        return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"

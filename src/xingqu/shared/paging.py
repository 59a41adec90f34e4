"""Offset pagination shared by queries and the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from xingqu.shared.errors import SharedError, invalid

T = TypeVar("T")

MAX_LIMIT = 200


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int = 20
    offset: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise invalid(SharedError.INVALID_PAGE, f"limit must be between 1 and {MAX_LIMIT}")
        if self.offset < 0:
            raise invalid(SharedError.INVALID_PAGE, "offset must not be negative")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int

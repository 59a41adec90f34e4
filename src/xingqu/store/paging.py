"""One offset-paginated read: the count and the page of rows in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xingqu.shared.paging import Page, PageRequest

T = TypeVar("T")


def fetch_page(
    session: Session,
    model: type[T],
    where: Sequence[Any],
    order_by: Sequence[Any],
    page: PageRequest,
) -> Page[T]:
    total = session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    rows = session.scalars(
        select(model).where(*where).order_by(*order_by).limit(page.limit).offset(page.offset)
    )
    return Page(items=list(rows), total=total, limit=page.limit, offset=page.offset)


def count_rows(session: Session, model: type[Any], *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

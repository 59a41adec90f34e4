"""The feed's content cache: the follow channel's per-creator lists and what is published since."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from xingqu.discovery.engine.cards import ContentCache
from xingqu.discovery.port import DataPort

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class FakeContent:
    """What the cache reads, from a list of (content id, creator id, published at), counting
    the reads of creators' lists."""

    def __init__(self, items: list[tuple[int, int, datetime]]) -> None:
        self.items = items
        self.creator_reads: list[list[int]] = []

    def newest_by_creators(
        self, creator_ids: Collection[int], *, since: datetime, limit: int
    ) -> list[tuple[int, int, datetime]]:
        self.creator_reads.append(sorted(creator_ids))
        rows = [r for r in self.items if r[1] in set(creator_ids) and r[2] >= since]
        return sorted(rows, key=lambda r: (r[2], r[0]), reverse=True)[:limit]

    def newest_published(self, *, limit: int) -> list[tuple[int, int, datetime]]:
        return sorted(self.items, key=lambda r: (r[2], r[0]), reverse=True)[:limit]


def _port(fake: FakeContent) -> DataPort:
    return cast(DataPort, cast(Any, fake))


def _follow(cache: ContentCache, fake: FakeContent, creators: set[int], at: datetime) -> list[int]:
    rows = cache.newest_by_creators(
        _port(fake), creators, since=at - timedelta(days=14), limit=10, at=at
    )
    return [content_id for content_id, _, _ in rows]


def test_a_creators_list_is_read_once_per_ttl_and_new_content_shows_from_the_newest_list() -> None:
    old = [(i, 1 if i % 2 else 2, T0 - timedelta(hours=i)) for i in range(1, 7)]
    fake = FakeContent(old)
    cache = ContentCache(ttl_s=60.0, list_ttl_s=10.0)

    assert _follow(cache, fake, {1}, T0) == [1, 3, 5]
    assert fake.creator_reads == [[1]]

    # creator 1 publishes; the newest list is re-read after 10 s, the creator's list is not
    fake.items.append((100, 1, T0 + timedelta(seconds=5)))
    fake.items.append((101, 2, T0 + timedelta(seconds=6)))  # someone not followed
    assert _follow(cache, fake, {1}, T0 + timedelta(seconds=8)) == [1, 3, 5]  # list still held
    assert _follow(cache, fake, {1}, T0 + timedelta(seconds=20)) == [100, 1, 3, 5]
    assert fake.creator_reads == [[1]]

    # past the cards' TTL the creator's list is read again, and counts the new item once
    assert _follow(cache, fake, {1}, T0 + timedelta(seconds=61)) == [100, 1, 3, 5]
    assert fake.creator_reads == [[1], [1]]


def test_only_stale_creators_are_read_and_old_content_leaves_the_window() -> None:
    fake = FakeContent([(1, 1, T0 - timedelta(days=13)), (2, 2, T0 - timedelta(hours=1))])
    cache = ContentCache(ttl_s=60.0, list_ttl_s=10.0)
    assert _follow(cache, fake, {1}, T0) == [1]
    assert _follow(cache, fake, {1, 2}, T0 + timedelta(seconds=30)) == [2, 1]
    assert fake.creator_reads == [[1], [2]]
    # a day later (both lists re-read), item 1 is older than the 14-day window
    assert _follow(cache, fake, {1, 2}, T0 + timedelta(days=1, seconds=1)) == [2]
    assert fake.creator_reads == [[1], [2], [1, 2]]

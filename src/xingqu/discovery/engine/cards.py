"""What the feed reads about content, cached briefly per engine: what a card shows changes rarely,
whether it may be shown is checked on every request.

- Cards (titles, caption, cover, creator, category, mounted products) are kept for `ttl_s`;
  every request still asks the database which of its candidates are published right now
  (`DataPort.published_among`) and which of their products can be bought right now (status,
  shop, stock: `DataPort.product_cards`), so removals, delistings and sell-outs take effect on
  the next request. A change of what a card *shows* (a new caption, a product mounted or
  unmounted) shows within `ttl_s`.
- Content durations (for watch completion) never change once published: kept until evicted.
- The newest published content (the fresh channel) is a candidate list re-read after
  `list_ttl_s`. Each creator's newest content (the follow channel) is read once per `ttl_s`, and
  what was published since shows from the newest list within `list_ttl_s` (a creator's new item
  can wait up to `ttl_s` only when more than `NEWEST_HELD` items are published in that time).
  What they propose passes the same fresh checks as every other candidate.

Ages are measured on the platform's clock (the request's `now`), so a simulation replays exactly.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Collection
from datetime import datetime

from xingqu.content.queries import ContentCard
from xingqu.discovery.port import DataPort

CARD_TTL_S = 60.0
LIST_TTL_S = 10.0
MAX_ENTRIES = 200_000
PER_CREATOR = 20  # newest items kept per creator (the follow channel)
NEWEST_HELD = 256  # newest published items held (the fresh channel, and news for the follow one)


class ContentCache:
    def __init__(
        self,
        *,
        ttl_s: float = CARD_TTL_S,
        list_ttl_s: float = LIST_TTL_S,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self.ttl_s = ttl_s
        self.list_ttl_s = list_ttl_s
        self.max_entries = max_entries
        self._lock = threading.Lock()
        # (read at, the card's values as a plain tuple): Python's collector stops tracking
        # tuples of plain values, so its full collections do not walk tens of thousands of
        # cached cards (they took 16 ms at 30,000 cards kept as objects)
        self._cards: OrderedDict[int, tuple[float, tuple[object, ...]]] = OrderedDict()
        self._durations: dict[int, int] = {}
        self._newest: tuple[float, int, list[tuple[int, int, datetime]]] | None = None
        self._by_creator: dict[int, tuple[float, tuple[tuple[int, int, datetime], ...]]] = {}

    def published_cards(
        self, data: DataPort, content_ids: Collection[int], at: datetime
    ) -> dict[int, ContentCard]:
        """Cards of those of `content_ids` that are published at `at` (now)."""
        ids = set(content_ids)
        if not ids:
            return {}
        now = at.timestamp()
        cached: dict[int, ContentCard] = {}
        with self._lock:
            for content_id in ids:
                entry = self._cards.get(content_id)
                if entry is not None and 0 <= now - entry[0] <= self.ttl_s:
                    cached[content_id] = ContentCard._make(entry[1])
        missing = ids - cached.keys()
        fresh = data.content_cards(missing) if missing else {}
        live = data.published_among(cached.keys()) if cached else set()
        if fresh:
            with self._lock:
                for content_id, card in fresh.items():
                    self._cards[content_id] = (now, tuple(card))
                    self._cards.move_to_end(content_id)
                    self._durations[content_id] = card.duration_s
                while len(self._cards) > self.max_entries:
                    self._cards.popitem(last=False)
        return {**{cid: card for cid, card in cached.items() if cid in live}, **fresh}

    def durations(self, data: DataPort, content_ids: set[int]) -> dict[int, int]:
        """content id → duration in seconds, for those of `content_ids` that exist."""
        with self._lock:
            known = {c: self._durations[c] for c in content_ids if c in self._durations}
        missing = content_ids - known.keys()
        if missing:
            read = {cid: f.duration_s for cid, f in data.content_facts(missing).items()}
            with self._lock:
                if len(self._durations) + len(read) > self.max_entries:
                    self._durations.clear()
                self._durations.update(read)
            known.update(read)
        return known

    def newest(self, data: DataPort, limit: int, at: datetime) -> list[tuple[int, int, datetime]]:
        """(content id, creator id, published at) of the newest published content, newest
        first (at most `limit`)."""
        now = at.timestamp()
        held = self._newest
        if held is None or not 0 <= now - held[0] <= self.list_ttl_s or held[1] < limit:
            size = max(limit, NEWEST_HELD)
            held = (now, size, data.newest_published(limit=size))
            self._newest = held
        return held[2][:limit]

    def newest_by_creators(
        self,
        data: DataPort,
        creator_ids: Collection[int],
        *,
        since: datetime,
        limit: int,
        at: datetime,
    ) -> list[tuple[int, int, datetime]]:
        """(content id, creator id, published at) of the newest content of `creator_ids` since
        `since`, newest first (at most `limit`)."""
        now = at.timestamp()
        rows: list[tuple[int, int, datetime]] = []
        stale: list[int] = []
        with self._lock:
            for creator in creator_ids:
                entry = self._by_creator.get(creator)
                if entry is None or not 0 <= now - entry[0] <= self.ttl_s:
                    stale.append(creator)
                else:
                    rows += entry[1]
        if stale:
            read = data.newest_by_creators(stale, since=since, limit=PER_CREATOR * len(stale))
            per: dict[int, list[tuple[int, int, datetime]]] = {c: [] for c in stale}
            for row in read:
                if len(per[row[1]]) < PER_CREATOR:
                    per[row[1]].append(row)
            with self._lock:
                if len(self._by_creator) + len(per) > self.max_entries:
                    self._by_creator.clear()
                for creator, items in per.items():
                    self._by_creator[creator] = (now, tuple(items))  # (untracked by the GC)
            rows += [r for items in per.values() for r in items]
        wanted = set(creator_ids)
        news = [r for r in self.newest(data, NEWEST_HELD, at) if r[1] in wanted]
        unique = {r[0]: r for r in [*rows, *news] if r[2] >= since}
        return sorted(unique.values(), key=lambda r: (r[2], r[0]), reverse=True)[:limit]


class TimedLookup:
    """Values per key read through `fetch` and kept for `ttl_s` of the platform's time: scores
    and reputations that governance recomputes daily. A key `fetch` does not answer is
    remembered as absent for as long."""

    def __init__(self, *, ttl_s: float = CARD_TTL_S, max_entries: int = MAX_ENTRIES) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._values: dict[int, tuple[float, float | None]] = {}

    def get(
        self, keys: Collection[int], at: datetime, fetch: Callable[[set[int]], dict[int, float]]
    ) -> dict[int, float]:
        now = at.timestamp()
        out: dict[int, float] = {}
        stale: set[int] = set()
        with self._lock:
            for key in keys:
                entry = self._values.get(key)
                if entry is None or not 0 <= now - entry[0] <= self.ttl_s:
                    stale.add(key)
                elif entry[1] is not None:
                    out[key] = entry[1]
        if stale:
            read = fetch(stale)
            with self._lock:
                if len(self._values) + len(stale) > self.max_entries:
                    self._values.clear()
                for key in stale:
                    self._values[key] = (now, read.get(key))
            out.update(read)
        return out

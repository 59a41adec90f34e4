"""What followed each impression in the behaviour log: the ranker's labels and the items' counts.

An impression (user u was shown content c at time t) is answered by u's rows about c in
[t, t + `response_window`]:
- click: any of `rules.CLICK_ACTIONS` (like, share, product click, cart, order);
- buy: an `order` row (orders carry the content that led to them);
- watch_s: the longest `watch`;
- refund: the product of that order was refunded to u afterwards (any time before the data
  ends), so a refund counts against the impression that sold it.
Labels respect the funnel (`ranking.ranker.Labels`): buy ⇒ click, refund ⇒ buy.

All arrays are columnar (`LogColumns`, one entry per behaviour row), so the same code labels a
day of a demo or months of a platform.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import numpy.typing as npt

from xingqu.discovery.rules import (
    ACTION_CODES,
    CLICK_ACTIONS,
    ENGAGED_WATCH_COMPLETION,
    Action,
    watch_completion,
)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

RESPONSE_WINDOW = timedelta(hours=2)
_CODE = {action: code for code, action in enumerate(ACTION_CODES)}
_CLICK_CODES = frozenset(_CODE[a] for a in CLICK_ACTIONS)


@dataclass(frozen=True)
class LogColumns:
    """Behaviour rows as parallel arrays (missing ids are -1, times are Unix seconds)."""

    user: IntArray
    action: IntArray  # index into rules.ACTION_CODES
    content: IntArray
    product: IntArray
    category: IntArray
    value: FloatArray
    at: IntArray

    def __len__(self) -> int:
        return len(self.user)


@dataclass(frozen=True)
class Outcomes:
    """Per impression row of the log (`LogColumns` rows where action is `impression`)."""

    rows: IntArray  # the impression rows' positions in the log
    click: npt.NDArray[np.int8]
    buy: npt.NDArray[np.int8]
    refund: npt.NDArray[np.int8]
    watch_s: FloatArray


def label_impressions(log: LogColumns, *, response_window: timedelta = RESPONSE_WINDOW) -> Outcomes:
    """The outcome of every impression in `log` (module docstring)."""
    window = int(response_window.total_seconds())
    impression = _CODE[Action.IMPRESSION]
    responses: dict[tuple[int, int], list[tuple[int, int, float, int]]] = defaultdict(list)
    refunds: dict[tuple[int, int], list[int]] = defaultdict(list)
    refund = _CODE[Action.REFUND]
    for i in np.flatnonzero(log.action != impression):
        user, code, at = int(log.user[i]), int(log.action[i]), int(log.at[i])
        if code == refund and log.product[i] >= 0:
            refunds[(user, int(log.product[i]))].append(at)
        elif log.content[i] >= 0:
            responses[(user, int(log.content[i]))].append(
                (at, code, float(log.value[i]), int(log.product[i]))
            )
    rows = np.flatnonzero(log.action == impression)
    n = len(rows)
    click = np.zeros(n, dtype=np.int8)
    buy = np.zeros(n, dtype=np.int8)
    refunded = np.zeros(n, dtype=np.int8)
    watch = np.zeros(n, dtype=np.float64)
    order, watch_code = _CODE[Action.ORDER], _CODE[Action.WATCH]
    for j, i in enumerate(rows):
        user, shown_at = int(log.user[i]), int(log.at[i])
        for at, code, value, product in responses.get((user, int(log.content[i])), ()):
            if not shown_at <= at <= shown_at + window:
                continue
            if code in _CLICK_CODES:
                click[j] = 1
            if code == watch_code:
                watch[j] = max(watch[j], value)
            if code == order:
                buy[j] = 1
                if any(t >= at for t in refunds.get((user, product), ())):
                    refunded[j] = 1
    return Outcomes(rows=rows, click=click, buy=buy, refund=refunded, watch_s=watch)


@dataclass(frozen=True)
class ItemCounts:
    """Per content id: impressions and what followed them, over the log."""

    content_ids: IntArray
    impressions: FloatArray
    clicks: FloatArray
    buys: FloatArray
    refunds: FloatArray
    engagements: FloatArray  # clicks, or watches of at least ENGAGED_WATCH_COMPLETION


def item_counts(log: LogColumns, outcomes: Outcomes, durations: dict[int, int]) -> ItemCounts:
    """Impressions and their outcomes summed per content; `durations` (content id → seconds;
    unknown content counts as a post) gives watch completion."""
    content = log.content[outcomes.rows]
    completion = np.array(
        [
            watch_completion(w, durations.get(int(c), 0))
            for c, w in zip(content, outcomes.watch_s, strict=True)
        ],
        dtype=np.float64,
    )
    engaged = (outcomes.click == 1) | (completion >= ENGAGED_WATCH_COMPLETION)
    ids, inverse = np.unique(content, return_inverse=True)

    def total(weights: npt.ArrayLike) -> FloatArray:
        weighted = np.bincount(inverse, weights=np.asarray(weights, np.float64), minlength=len(ids))
        return weighted.astype(np.float64)

    return ItemCounts(
        content_ids=ids.astype(np.int64),
        impressions=total(np.ones(len(content))),
        clicks=total(outcomes.click),
        buys=total(outcomes.buy),
        refunds=total(outcomes.refund),
        engagements=total(engaged),
    )

"""Charts drawn on the server as inline SVG: no script, no network, readable by screen readers
(each chart has a title, a text summary and its numbers in a table). This module only does the
geometry; `templates/macros.html` draws it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

WIDTH = 320
HEIGHT = 150
PAD_LEFT = 44
PAD_RIGHT = 16
PAD_TOP = 10
PAD_BOTTOM = 22


@dataclass(frozen=True, slots=True)
class Point:
    x: float
    y: float
    label: str  # the x value as text (a day)
    value: str  # the y value as text


@dataclass(frozen=True, slots=True)
class LineChart:
    key: str  # the text key of its title
    points: list[Point]
    line: str  # the path of the line ("M x,y L x,y …", a new M after each gap)
    area: str  # closed paths under the line
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str]]
    latest: str  # the last value as text
    peak: str  # the largest value as text
    nonzero: bool
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = HEIGHT - PAD_BOTTOM
    left: float = PAD_LEFT
    dom_id: str = ""  # its id in the page (the key unless several charts share one)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k at or above `value` (1 for nothing)."""
    if value <= 0:
        return 1.0
    scale = 1.0
    while scale * 10 <= value:
        scale *= 10
    while scale > value:
        scale /= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * scale >= value:
            return step * scale
    return 10 * scale  # pragma: no cover - the loop always returns


def line_chart(
    key: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    fmt: Callable[[float], str],
    *,
    ceiling: float | None = None,
    dom_id: str | None = None,
) -> LineChart:
    """A line over `values` (one per label, in order; None: no data that day, a gap in the
    line), its y axis from 0 to a round ceiling (or `ceiling`). `dom_id` names the chart in the
    page when several charts of one key are shown (default: the key)."""
    if len(labels) != len(values):
        raise ValueError("one label per value")
    known = [v for v in values if v is not None]
    top = ceiling if ceiling is not None else nice_ceiling(max(known, default=0.0))
    inner_w = WIDTH - PAD_LEFT - PAD_RIGHT
    inner_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    base = HEIGHT - PAD_BOTTOM
    n = len(values)
    step = inner_w / (n - 1) if n > 1 else 0.0

    def x_of(i: int) -> float:
        return round(PAD_LEFT + (i * step if n > 1 else inner_w / 2), 1)

    points = [
        Point(x_of(i), round(PAD_TOP + inner_h * (1 - min(v, top) / top), 1), labels[i], fmt(v))
        for i, v in enumerate(values)
        if v is not None
    ]
    runs: list[list[Point]] = []
    previous = -2
    for i, v in enumerate(values):
        if v is None:
            continue
        point = next(p for p in points if p.x == x_of(i))
        if i != previous + 1 or not runs:
            runs.append([])
        runs[-1].append(point)
        previous = i
    line = " ".join("M" + " L".join(f"{p.x},{p.y}" for p in run) for run in runs)
    area = " ".join(
        f"M{run[0].x},{base} " + " ".join(f"L{p.x},{p.y}" for p in run) + f" L{run[-1].x},{base} Z"
        for run in runs
    )
    y_ticks = [(round(PAD_TOP + inner_h * (1 - f), 1), fmt(top * f)) for f in (0.0, 0.5, 1.0)]
    marks = sorted({0, n // 2, n - 1}) if n else []
    x_ticks = [(x_of(i), labels[i]) for i in marks]
    return LineChart(
        key=key,
        points=points,
        line=line,
        area=area,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        latest=fmt(known[-1]) if known else "—",
        peak=fmt(max(known, default=0.0)),
        nonzero=any(v > 0 for v in known),
        dom_id=dom_id or key,
    )


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    share: float  # of the largest bar, 0..1 (the bar's drawn width)


def bars(rows: Sequence[tuple[str, int]]) -> list[Bar]:
    """Horizontal bars (drawn in HTML) scaled to the largest value."""
    top = max((v for _, v in rows), default=0)
    return [Bar(label, value, value / top if top else 0.0) for label, value in rows]

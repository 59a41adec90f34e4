"""The quality-GMV figures as charts: one chart per figure, one point per day (a rate has no
point on a day without orders, or for the good-review rate without reviews)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from xingqu.insight.dashboard import Dashboard
from xingqu.insight.rules import QualityFigures
from xingqu.web.charts import LineChart, line_chart
from xingqu.web.labels import percent
from xingqu.web.rendering import yuan_of


def _money(get: Callable[[QualityFigures], int]) -> Callable[[QualityFigures], float | None]:
    return lambda d: float(get(d))


def _rate(get: Callable[[QualityFigures], float]) -> Callable[[QualityFigures], float | None]:
    return lambda d: get(d) if d.orders else None


FIGURES: dict[str, tuple[Callable[[QualityFigures], float | None], Callable[[float], str]]] = {
    "chart_gmv": (_money(lambda d: d.gmv_fen), yuan_of),
    "chart_net_gmv": (_money(lambda d: d.net_gmv_fen), yuan_of),
    "chart_quality_gmv": (_money(lambda d: d.quality_gmv_fen), yuan_of),
    "chart_refund_rate": (_rate(lambda d: d.refund_rate), percent),
    "chart_complaint_rate": (_rate(lambda d: d.complaint_rate), percent),
    "chart_good_review_rate": (lambda d: d.good_review_rate if d.reviews else None, percent),
    "chart_repurchase_rate": (_rate(lambda d: d.repurchase_rate), percent),
    "chart_new_customer_share": (_rate(lambda d: d.new_customer_share), percent),
    "chart_discovery_rate": (_rate(lambda d: d.discovery_rate), percent),
    "chart_rural_gmv": (_money(lambda d: d.rural_gmv_fen), yuan_of),
}


def dashboard_charts(dash: Dashboard, keys: Sequence[str] = tuple(FIGURES)) -> list[LineChart]:
    labels = [d.day.isoformat()[5:] if d.day is not None else "" for d in dash.days]
    charts = []
    for key in keys:
        value, fmt = FIGURES[key]
        charts.append(line_chart(key, labels, [value(d) for d in dash.days], fmt))
    return charts

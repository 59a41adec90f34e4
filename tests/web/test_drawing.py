"""Pure parts of the pages: chart geometry, evidence marking, reading form values."""

from __future__ import annotations

import pytest

from xingqu.shared.errors import DomainError
from xingqu.web import forms
from xingqu.web.charts import HEIGHT, PAD_BOTTOM, PAD_TOP, bars, line_chart, nice_ceiling
from xingqu.web.evidence import Segment, mark_listing, segments


def test_the_y_axis_ends_at_a_round_number_above_the_peak() -> None:
    assert [nice_ceiling(v) for v in (0, 0.07, 0.3, 1, 3, 7, 12, 240, 1_001)] == [
        1.0, 0.1, 0.5, 1.0, 5.0, 10.0, 20.0, 250.0, 2_000.0,
    ]  # fmt: skip


def test_a_line_chart_places_each_day_and_leaves_gaps_for_days_without_data() -> None:
    # given four days, the third without data
    chart = line_chart("k", ["a", "b", "c", "d"], [0.0, 5.0, None, 10.0], lambda v: f"{v:g}")
    # then the points sit on the axis' scale (0 at the bottom, the ceiling 10 at the top)
    assert [(p.label, p.value) for p in chart.points] == [("a", "0"), ("b", "5"), ("d", "10")]
    bottom, top = HEIGHT - PAD_BOTTOM, PAD_TOP
    assert [p.y for p in chart.points] == [bottom, (bottom + top) / 2, top]
    # and the line is drawn in two runs, broken where the day had no data
    assert chart.line.count("M") == 2
    assert (chart.latest, chart.peak, chart.nonzero) == ("10", "10", True)
    assert [label for _, label in chart.y_ticks] == ["0", "5", "10"]


def test_a_flat_chart_says_so() -> None:
    chart = line_chart("k", ["a", "b"], [0.0, 0.0], str)
    assert chart.nonzero is False and len(chart.points) == 2
    with pytest.raises(ValueError):
        line_chart("k", ["a"], [1.0, 2.0], str)


def test_bars_are_scaled_to_the_largest() -> None:
    assert [(b.label, b.share) for b in bars([("x", 4), ("y", 1), ("z", 0)])] == [
        ("x", 1.0), ("y", 0.25), ("z", 0.0),
    ]  # fmt: skip


def test_evidence_spans_cut_the_text_and_overlaps_merge_their_codes() -> None:
    assert segments("最佳国家级好物", [(0, 2, "ad.a"), (2, 5, "ad.b"), (4, 9, "ad.c")]) == [
        Segment("最佳", ("ad.a",)),
        Segment("国家", ("ad.b",)),
        Segment("级", ("ad.b", "ad.c")),
        Segment("好物", ("ad.c",)),
    ]
    assert segments("plain", []) == [Segment("plain", ())]
    assert segments("ab", [(1, 1, "empty"), (-3, 1, "x")]) == [
        Segment("a", ("x",)),
        Segment("b", ()),
    ]


def test_findings_are_marked_in_the_field_they_name() -> None:
    findings = [
        {"code": "ad.absolute_term", "field": "title", "start": 0, "end": 2},
        {"code": "ad.absolute_term", "field": "title_en", "start": 0, "end": 4},
        {"code": "price.anomaly", "field": "prices", "start": None, "end": None},
    ]
    marked = mark_listing(
        {"title": "最佳精华", "title_en": "Best serum", "description": ""}, findings
    )
    assert [(m.field, [(s.text, s.codes) for s in m.segments]) for m in marked] == [
        ("title", [("最佳", ("ad.absolute_term",)), ("精华", ())]),
        ("title_en", [("Best", ("ad.absolute_term",)), (" serum", ())]),
    ]


@pytest.mark.parametrize(
    ("typed", "fen"),
    [("12", 1_200), ("12.5", 1_250), ("12.05", 1_205), ("¥ 0.01", 1), (" 99.00 ", 9_900)],
)
def test_prices_typed_in_yuan_become_fen(typed: str, fen: int) -> None:
    assert forms.fen({"price": typed}, "price") == fen


@pytest.mark.parametrize("typed", ["", "12,5", "1.234", "-3", "abc", "1e3"])
def test_unreadable_prices_are_a_typed_error(typed: str) -> None:
    with pytest.raises(DomainError) as caught:
        forms.fen({"price": typed}, "price")
    assert str(caught.value.code) == "web.invalid_form"
    assert caught.value.message.startswith("price: an amount in yuan")


def test_form_fields_are_checked() -> None:
    assert forms.integer({"n": "42"}, "n", high=50) == 42
    assert forms.optional_integer({"n": " "}, "n") is None
    assert forms.choice({"c": "b"}, "c", ("a", "b")) == "b"
    for bad in (
        lambda: forms.integer({"n": "51"}, "n", high=50),
        lambda: forms.integer({"n": "4.2"}, "n"),
        lambda: forms.choice({"c": "z"}, "c", ("a", "b")),
        lambda: forms.text({"t": "  "}, "t"),
        lambda: forms.text({"t": "x" * 11}, "t", max_length=10),
        lambda: forms.idempotency_key({"key": "has space"}),
    ):
        with pytest.raises(DomainError):
            bad()
    assert forms.idempotency_key({"key": forms.new_key()})

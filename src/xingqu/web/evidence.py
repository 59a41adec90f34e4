"""Listing-review evidence shown in its text: each finding of a review names a field of the
listing and a character span in it; the page marks those spans where the reader sees them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

FIELDS = ("title", "title_en", "description", "sku", "prices")


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    codes: tuple[str, ...]  # the reasons that flag this piece; empty: plain text


@dataclass(frozen=True, slots=True)
class Marked:
    field: str
    segments: list[Segment]


def segments(text: str, spans: Iterable[tuple[int, int, str]]) -> list[Segment]:
    """`text` cut into plain and flagged pieces; overlapping spans merge their codes, spans
    outside the text are clipped, empty ones ignored."""
    cuts = {0, len(text)}
    clipped = []
    for start, end, code in spans:
        s, e = max(0, min(start, len(text))), max(0, min(end, len(text)))
        if s < e:
            clipped.append((s, e, code))
            cuts.update((s, e))
    edges = sorted(cuts)
    out: list[Segment] = []
    for a, b in pairwise(edges):
        codes = tuple(sorted({c for s, e, c in clipped if s <= a and b <= e}))
        if out and out[-1].codes == codes:
            out[-1] = Segment(out[-1].text + text[a:b], codes)
        else:
            out.append(Segment(text[a:b], codes))
    return out


def mark_listing(texts: Mapping[str, str], findings: Iterable[Mapping[str, Any]]) -> list[Marked]:
    """Each field of the listing that has text, with the findings' spans marked in it. Findings
    about a field whose text is not given (SKU names, prices) are listed by the caller."""
    spans: dict[str, list[tuple[int, int, str]]] = {}
    for f in findings:
        field, start, end = f.get("field"), f.get("start"), f.get("end")
        if isinstance(field, str) and isinstance(start, int) and isinstance(end, int):
            spans.setdefault(field, []).append((start, end, str(f.get("code", ""))))
    return [
        Marked(field, segments(texts[field], spans.get(field, [])))
        for field in FIELDS
        if texts.get(field)
    ]

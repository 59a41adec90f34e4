"""Basic accessibility, checked on the rendered pages: every form control has a label, and the
stylesheet's text and background colour pairs have WCAG AA contrast."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.web.consoles import sign_in, site
from xingqu.web.sitemap import CONSOLE_PAGES

STYLESHEET = Path(__file__).parents[2] / "src" / "xingqu" / "web" / "static" / "style.css"


class Controls(HTMLParser):
    """The page's form controls that a person operates, and the ids that labels point at."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.labelled: set[str] = set()
        self.in_label = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "label":
            self.in_label += 1
            if a.get("for"):
                self.labelled.add(str(a["for"]))
        elif (
            tag in ("input", "select", "textarea")
            and a.get("type") != "hidden"
            and "hidden" not in a
        ):
            self.controls.append({**a, "tag": tag, "wrapped": "yes" if self.in_label else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.in_label -= 1


def unlabelled(html: str) -> list[dict[str, str | None]]:
    parser = Controls()
    parser.feed(html)
    return [
        c
        for c in parser.controls
        if not (c.get("id") in parser.labelled or c.get("aria-label") or c.get("wrapped"))
    ]


@pytest.mark.parametrize("role", sorted(CONSOLE_PAGES))
def test_every_form_control_has_a_label(role: str, tiny_world: Path) -> None:
    with site(tiny_world) as (client, _):
        sign_in(client, tiny_world, role)
        for path in CONSOLE_PAGES[role]:
            page = client.get(path)
            assert page.status_code == 200
            assert unlabelled(page.text) == [], path


def test_the_log_in_and_landing_pages_label_their_controls(tiny_world: Path) -> None:
    with site(tiny_world) as (client, _):
        for path in ("/", "/login"):
            assert unlabelled(client.get(path).text) == [], path


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_is_computed_as_wcag_says() -> None:
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48


def test_text_colours_have_aa_contrast_on_their_backgrounds() -> None:
    # given every rule of the stylesheet that sets both a text and a background colour
    css = STYLESHEET.read_text(encoding="utf-8")
    pairs = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        fg = re.search(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", body)
        bg = re.search(r"background:\s*(#[0-9a-fA-F]{6})", body)
        if fg and bg:
            pairs.append((selector.strip(), fg.group(1), bg.group(1)))
    assert len(pairs) >= 8
    # then each reaches 4.5:1 (WCAG AA for normal text)
    weak = [(s, f, b, round(contrast(f, b), 2)) for s, f, b in pairs if contrast(f, b) < 4.5]
    assert weak == []
    # and body text, muted text and links on the page background do too
    for fg in ("#1b1b1f", "#5a5a66", "#0b57d0", "#c62828"):
        assert contrast(fg, "#f7f7fa") >= 4.5


def test_the_label_check_finds_what_is_missing() -> None:
    html = (
        '<label for="a">A</label><input id="a"><input id="b" name="b">'
        '<label>C <input name="c"></label><select aria-label="D"></select>'
        '<input type="hidden" name="csrf_token"><textarea name="e"></textarea>'
    )
    assert [c.get("name") for c in unlabelled(html)] == ["b", "e"]

"""The pages' two languages: English and Simplified Chinese, chosen by `?lang=`, a cookie or the
browser's Accept-Language. The texts live in `locales/<lang>.json` (one flat key → text table
per language; a test keeps the two tables' keys identical)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path

from fastapi import Request

LANGUAGES = ("en", "zh")
COOKIE = "xingqu_lang"
COOKIE_MAX_AGE_S = 365 * 24 * 3600
_LOCALES = Path(__file__).parent / "locales"


@cache
def texts(lang: str) -> dict[str, str]:
    """The text table of `lang` (read once)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    table: dict[str, str] = json.loads((_LOCALES / f"{lang}.json").read_text(encoding="utf-8"))
    return table


def choose_language(request: Request) -> tuple[str, bool]:
    """The language for this request, and whether it was asked for just now (set the cookie)."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked, True
    remembered = request.cookies.get(COOKIE)
    if remembered in LANGUAGES:
        return remembered, False
    accept = request.headers.get("accept-language", "").lower()
    return ("zh" if accept.startswith("zh") else "en"), False


def translator(lang: str) -> Callable[..., str]:
    """`t(key, **values)`: the text of `key` in `lang` (English, then the key itself, when
    missing), with `{name}` placeholders filled from `values`."""
    table, fallback = texts(lang), texts("en")

    def t(key: str, **values: object) -> str:
        text = table.get(key) or fallback.get(key) or key
        return text.format(**values) if values else text

    return t


def pick(lang: str, en: str, zh: str) -> str:
    """One of a bilingual pair, falling back to the other when it is empty."""
    first, second = (zh, en) if lang == "zh" else (en, zh)
    return first or second

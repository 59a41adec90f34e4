"""Reading posted forms: text fields to typed values, with a clear typed error for bad input.

The services check every rule again; this only turns the browser's strings into the values the
services take (yuan with up to two decimals to integer fen, ids to ints) and refuses what cannot
be read. The idempotency key a form carries is minted when the form is rendered, so a double
submit (or a retry after a lost answer) is the same request to the service."""

from __future__ import annotations

import re
import secrets
from enum import StrEnum

from xingqu.shared.errors import DomainError, ErrorKind

_YUAN = re.compile(r"^\s*¥?\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$")
_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class WebError(StrEnum):
    INVALID_FORM = "web.invalid_form"


def refuse(field: str, message: str) -> DomainError:
    return DomainError(WebError.INVALID_FORM, f"{field}: {message}", ErrorKind.INVALID)


def text(
    form: dict[str, str], field: str, *, required: bool = True, max_length: int = 10_000
) -> str:
    value = form.get(field, "").strip()
    if required and not value:
        raise refuse(field, "please fill this in")
    if len(value) > max_length:
        raise refuse(field, f"at most {max_length} characters")
    return value


def integer(form: dict[str, str], field: str, *, low: int = 0, high: int = 2**53) -> int:
    raw = form.get(field, "").strip()
    if not re.fullmatch(r"-?\d{1,16}", raw):
        raise refuse(field, f"a whole number is needed, not {raw!r}")
    value = int(raw)
    if not low <= value <= high:
        raise refuse(field, f"must be between {low} and {high}")
    return value


def optional_integer(form: dict[str, str], field: str) -> int | None:
    return integer(form, field) if form.get(field, "").strip() else None


def fen(form: dict[str, str], field: str) -> int:
    """A price typed in yuan (`12`, `12.5`, `¥12.50`) as integer fen."""
    raw = form.get(field, "")
    found = _YUAN.match(raw)
    if found is None:
        raise refuse(field, f"an amount in yuan such as 12.50 is needed, not {raw!r}")
    whole, cents = found.group(1), (found.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(cents)


def choice(form: dict[str, str], field: str, options: tuple[str, ...]) -> str:
    value = form.get(field, "")
    if value not in options:
        raise refuse(field, f"choose one of {', '.join(options)}")
    return value


def flag(form: dict[str, str], field: str) -> bool:
    return form.get(field, "") in ("1", "true", "on", "yes")


def idempotency_key(form: dict[str, str]) -> str:
    key = form.get("key", "")
    if not _KEY.fullmatch(key):
        raise refuse("key", "the form is missing its request key: reload the page and retry")
    return key


def new_key() -> str:
    """A fresh request key for a form that creates something."""
    return secrets.token_urlsafe(18)

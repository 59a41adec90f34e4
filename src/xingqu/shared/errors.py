"""Typed errors. Every context has an error-code `StrEnum`; the API maps kinds to HTTP once."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorKind(StrEnum):
    """What sort of failure an error is; `api/errors.py` maps each kind to one HTTP status."""

    INVALID = "invalid"  # the request is malformed or breaks a rule about its own values
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"  # the request is valid but the current state forbids it
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    UNAVAILABLE = "unavailable"  # a dependency (payment provider, ...) failed


class SharedError(StrEnum):
    INVALID_MONEY = "shared.invalid_money"
    CURRENCY_MISMATCH = "shared.currency_mismatch"
    INVALID_PAGE = "shared.invalid_page"
    FORBIDDEN = "shared.forbidden"
    UNAUTHENTICATED = "shared.unauthenticated"


_DEFAULT_KINDS: dict[str, ErrorKind] = {
    SharedError.INVALID_MONEY: ErrorKind.INVALID,
    SharedError.CURRENCY_MISMATCH: ErrorKind.INVALID,
    SharedError.INVALID_PAGE: ErrorKind.INVALID,
    SharedError.FORBIDDEN: ErrorKind.FORBIDDEN,
    SharedError.UNAUTHENTICATED: ErrorKind.UNAUTHENTICATED,
}


class DomainError(Exception):
    """A typed, expected failure: a code from a context's enum, a human message and a kind."""

    def __init__(
        self,
        code: StrEnum,
        message: str,
        kind: ErrorKind | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.kind = kind or _DEFAULT_KINDS.get(str(code), ErrorKind.INVALID)
        self.details = details or {}

    def __repr__(self) -> str:
        return f"DomainError({self.code!s}, {self.message!r}, kind={self.kind!s})"


def not_found(code: StrEnum, what: str, ident: object) -> DomainError:
    return DomainError(code, f"{what} {ident} does not exist", ErrorKind.NOT_FOUND, {"id": ident})


def forbidden(message: str = "you are not allowed to do that") -> DomainError:
    return DomainError(SharedError.FORBIDDEN, message, ErrorKind.FORBIDDEN)


def conflict(code: StrEnum, message: str, **details: Any) -> DomainError:
    return DomainError(code, message, ErrorKind.CONFLICT, details)


def invalid(code: StrEnum, message: str, **details: Any) -> DomainError:
    return DomainError(code, message, ErrorKind.INVALID, details)

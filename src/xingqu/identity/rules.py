"""Password hashing, token format and user-name rules. Pure functions, no I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from xingqu.identity.errors import IdentityError
from xingqu.shared.access import Role
from xingqu.shared.errors import invalid

USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,39}$")
MIN_PASSWORD = 10
TOKEN_PREFIX = "xq_"

# scrypt cost: about 50 ms per hash on these machines; stored with each hash so it can grow.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


def validate_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise invalid(
            IdentityError.INVALID_USERNAME,
            "user names are 3–40 characters: a–z, 0–9, '_', '.', '-'",
        )
    return name


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise invalid(
            IdentityError.WEAK_PASSWORD, f"passwords need at least {MIN_PASSWORD} characters"
        )
    if password.isdigit() or password.isalpha():
        raise invalid(
            IdentityError.WEAK_PASSWORD, "passwords need both letters and other characters"
        )


def parse_roles(roles: list[str] | set[str] | frozenset[str]) -> frozenset[Role]:
    try:
        parsed = frozenset(Role(r) for r in roles)
    except ValueError as exc:
        raise invalid(IdentityError.INVALID_ROLES, f"unknown role: {exc}") from None
    if not parsed:
        raise invalid(IdentityError.INVALID_ROLES, "a user needs at least one role")
    return parsed


def encode_roles(roles: frozenset[Role]) -> str:
    return ",".join(sorted(roles))


def decode_roles(text: str) -> frozenset[Role]:
    return frozenset(Role(r) for r in text.split(",") if r)


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return "$".join(
        ["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(digest)]
    )


def verify_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode(),
        salt=_unb64(salt),
        n=int(n),
        r=int(r),
        p=int(p),
        dklen=len(_unb64(digest)),
    )
    return hmac.compare_digest(candidate, _unb64(digest))


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Tokens are random and long, so a plain SHA-256 is the right stored form (no salt needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

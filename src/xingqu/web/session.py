"""Browser sessions and cross-site request forgery protection for the server-rendered pages.

A signed-in browser holds the identity context's session token in an HttpOnly, SameSite=Lax
cookie (the same token the API takes as a bearer token, so pages and API share one notion of
who is asking). Every state-changing form carries a CSRF token that a page from another origin
cannot know:

- signed in, it is derived from the session token (a one-way hash: the page shows it, the
  cookie stays unreadable to scripts, and it changes with every session);
- signed out (the log-in form), it is a random value in its own cookie that the form repeats
  (double submit).

`require_actor` sends an anonymous browser to the log-in page and back; `require_role` answers
403 to a signed-in user without the role. Handlers call the same services as the API, which
check ownership again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request, Response

from xingqu.api.deps import PlatformDep
from xingqu.identity import services as identity
from xingqu.shared.access import Actor, Role
from xingqu.shared.errors import DomainError, ErrorKind, SharedError

SESSION_COOKIE = "xingqu_session"
ANONYMOUS_CSRF_COOKIE = "xingqu_csrf"
CSRF_FIELD = "csrf_token"
_CSRF_CONTEXT = b"xingqu-web-csrf\x00"


class LoginRequired(Exception):
    """An anonymous browser asked for a page that needs a user; mapped to a redirect."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def login_url(next_url: str) -> str:
    return f"/login?next={quote(safe_next(next_url), safe='/')}"


def safe_next(target: str | None) -> str:
    """Only a local path may be a post-log-in destination (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def session_token(request: Request) -> str | None:
    token = request.cookies.get(SESSION_COOKIE)
    return token if token else None


def current_actor(request: Request, platform: PlatformDep) -> Actor | None:
    """The signed-in actor, or None (an expired or revoked session counts as signed out)."""
    token = session_token(request)
    if token is None:
        return None
    try:
        return identity.authenticate(platform.uow(readonly=True), token)
    except DomainError as error:
        if error.kind is ErrorKind.UNAUTHENTICATED:
            return None
        raise


MaybeActor = Annotated[Actor | None, Depends(current_actor)]


def require_actor(request: Request, actor: MaybeActor) -> Actor:
    if actor is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return actor


WebActor = Annotated[Actor, Depends(require_actor)]


def require_role(role: Role) -> Callable[[Actor], Actor]:
    """A dependency: the signed-in actor, who must hold `role` (operators see every console)."""

    def check(actor: WebActor) -> Actor:
        if role not in actor.roles and not actor.is_operator:
            raise DomainError(
                SharedError.FORBIDDEN,
                f"this page is for {role.value} accounts",
                ErrorKind.FORBIDDEN,
            )
        return actor

    return check


# --- sign in / out ---------------------------------------------------------------------------------


def sign_in(response: Response, token: str, *, max_age_s: int, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age_s,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
    response.delete_cookie(ANONYMOUS_CSRF_COOKIE, path="/")


def sign_out(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


# --- cross-site request forgery --------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The token this browser's forms must carry (see the module docstring)."""
    token = session_token(request)
    if token is not None:
        return hashlib.sha256(_CSRF_CONTEXT + token.encode()).hexdigest()
    existing = request.cookies.get(ANONYMOUS_CSRF_COOKIE)
    if existing:
        return existing
    fresh: str = request.state.__dict__.setdefault("anonymous_csrf", secrets.token_urlsafe(24))
    return fresh


def remember_anonymous_csrf(request: Request, response: Response, *, secure: bool) -> None:
    """Set the double-submit cookie when this response's page minted a fresh token."""
    fresh = request.state.__dict__.get("anonymous_csrf")
    if fresh is not None and session_token(request) is None:
        response.set_cookie(
            ANONYMOUS_CSRF_COOKIE, fresh, httponly=True, samesite="strict", secure=secure, path="/"
        )


async def verified_form(request: Request) -> dict[str, str]:
    """The posted form's fields, after checking its CSRF token; 403 when it is wrong."""
    form = await request.form()
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    sent = fields.pop(CSRF_FIELD, "")
    expected = ""
    if session_token(request) is not None or request.cookies.get(ANONYMOUS_CSRF_COOKIE):
        expected = csrf_token(request)
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise DomainError(
            SharedError.FORBIDDEN,
            "the form has expired or did not come from this site: reload the page and retry",
            ErrorKind.FORBIDDEN,
        )
    return fields


VerifiedForm = Annotated[dict[str, str], Depends(verified_form)]

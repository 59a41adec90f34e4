"""Signing in and out in a browser, and (demo mode only) signing in as a demo user."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from xingqu.api.deps import PlatformDep
from xingqu.identity import services as identity
from xingqu.shared.errors import DomainError, ErrorKind
from xingqu.web.rendering import home_of, render
from xingqu.web.session import MaybeActor, VerifiedForm, safe_next, sign_in, sign_out

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request, actor: MaybeActor, next: Annotated[str, Query()] = "/"
) -> Response:
    return render(request, "login.html", actor=actor, next_url=safe_next(next), failed=False)


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, platform: PlatformDep, form: VerifiedForm) -> Response:
    target = safe_next(form.get("next"))
    ttl = timedelta(hours=platform.settings.token_ttl_hours)
    try:
        issued = identity.login(
            platform.uow(), form.get("username", ""), form.get("password", ""), ttl=ttl
        )
    except DomainError as error:
        if error.kind is not ErrorKind.UNAUTHENTICATED:
            raise
        return render(
            request,
            "login.html",
            next_url=target,
            failed=True,
            status_code=401,
            username=form.get("username", ""),
        )
    return _signed_in(request, platform, issued.token, target)


@router.post("/logout")
def logout(form: VerifiedForm) -> Response:
    response = RedirectResponse("/", status_code=303)
    sign_out(response)
    return response


@router.post("/demo/login/{user_id}")
def demo_login(
    user_id: int, request: Request, platform: PlatformDep, form: VerifiedForm
) -> Response:
    """One click to act as a demo user; exists only in demo mode (off by default in `serve`)."""
    if not platform.settings.demo_mode:
        return render(
            request,
            "error.html",
            status_code=404,
            code="request.not_found",
            message="demo log-in exists only in demo mode",
        )
    ttl = timedelta(hours=platform.settings.token_ttl_hours)
    issued = identity.issue_session_for(platform.uow(), user_id, ttl=ttl)
    actor = identity.authenticate(platform.uow(readonly=True), issued.token)
    home = home_of(actor)
    return _signed_in(request, platform, issued.token, safe_next(form.get("next") or home))


def _signed_in(request: Request, platform: PlatformDep, token: str, target: str) -> Response:
    response = RedirectResponse(target, status_code=303)
    sign_in(
        response,
        token,
        max_age_s=platform.settings.token_ttl_hours * 3600,
        secure=request.url.scheme == "https",
    )
    return response

"""Errors on pages are pages: a readable message in the reader's language, the right status, and
for an anonymous browser a redirect to the log-in page instead of a 401."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from xingqu.api.errors import STATUS
from xingqu.shared.errors import DomainError
from xingqu.web.session import LoginRequired, login_url


def install_web_error_pages(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(login_url(exc.next_url), status_code=303)

    app.state.render_domain_error = render_domain_error


def render_domain_error(request: Request, exc: DomainError) -> Response:
    """The error in the reader's language, with their navigation and a way back to the page
    the form was on (the Referer, when it is a page of this site)."""
    from xingqu.web.rendering import render  # (templates load lazily)
    from xingqu.web.session import current_actor, safe_next

    try:
        actor = current_actor(request, request.app.state.platform)
    except DomainError:
        actor = None
    referer = urlsplit(request.headers.get("referer", ""))
    same_site = referer.netloc in ("", request.url.netloc)
    back = (
        safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))
        if same_site
        else "/"
    )
    return render(
        request,
        "error.html",
        actor=actor,
        status_code=STATUS[exc.kind],
        code=str(exc.code),
        message=exc.message,
        back_url=back if back != request.url.path else "/",
    )

"""Errors on pages are pages: a readable message in the reader's language, the right status, and
for an anonymous browser a redirect to the log-in page instead of a 401."""

from __future__ import annotations

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
    from xingqu.web.rendering import render  # (templates load lazily)

    return render(
        request,
        "error.html",
        status_code=STATUS[exc.kind],
        code=str(exc.code),
        message=exc.message,
    )

"""Rendering a page: the template, the language, the signed-in actor's navigation and the CSRF
token every form carries. Handlers pass only their own data."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates

from xingqu.shared.access import Actor, Role
from xingqu.web.forms import new_key
from xingqu.web.i18n import COOKIE, COOKIE_MAX_AGE_S, LANGUAGES, choose_language, pick, translator
from xingqu.web.labels import percent, when
from xingqu.web.session import CSRF_FIELD, csrf_token, remember_anonymous_csrf

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

CONSOLES: tuple[tuple[Role, str, str], ...] = (
    (Role.CONSUMER, "/feed", "nav_feed"),
    (Role.CREATOR, "/creator", "nav_creator"),
    (Role.MERCHANT, "/merchant", "nav_merchant"),
    (Role.OPERATOR, "/ops", "nav_ops"),
)
"""Each role's home page and the text key of its navigation link."""


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}¥{fen // 100:,}.{fen % 100:02d}"


def done_redirect(path: str, done: str) -> Response:
    """After a form: back to `path`, which says what was done (`?done=…`, a text key)."""
    joiner = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{joiner}done={done}", status_code=303)


def yuan_of(fen: float) -> str:
    """`yuan` of a figure that may be fractional (a chart's axis)."""
    return yuan(round(fen))


def _done(request: Request) -> str | None:
    """The text key of what the last form did (`?done=…`, set by the redirect after a post)."""
    done = request.query_params.get("done", "")
    return f"done_{done}" if done.isidentifier() and len(done) <= 40 else None


def navigation(actor: Actor | None) -> list[tuple[str, str]]:
    """(href, text key) of the consoles the actor may open."""
    if actor is None:
        return []
    return [(href, key) for role, href, key in CONSOLES if actor.has(role) or actor.is_operator]


def home_of(actor: Actor) -> str:
    """The console an actor starts in: that of their most specific role (operator, merchant,
    creator, else the feed)."""
    own = [href for role, href, _ in CONSOLES if actor.has(role)]
    return own[-1] if own else "/"


def render(
    request: Request,
    template: str,
    *,
    actor: Actor | None = None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    lang, remember = choose_language(request)
    other = next(code for code in LANGUAGES if code != lang)
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    query.append(("lang", other))
    switch_url = f"{request.url.path}?{urlencode(query)}"
    secure = request.url.scheme == "https"
    response = templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "t": translator(lang),
            "pick": lambda en, zh: pick(lang, en, zh),
            "switch_url": switch_url,
            "yuan": yuan,
            "when": when,
            "percent": percent,
            "new_key": new_key,
            "done": _done(request),
            "actor": actor,
            "nav": navigation(actor),
            "csrf_field": CSRF_FIELD,
            "csrf_token": csrf_token(request),
            **context,
        },
        status_code=status_code,
    )
    if remember:
        response.set_cookie(
            COOKIE, lang, max_age=COOKIE_MAX_AGE_S, samesite="lax", httponly=True, secure=secure
        )
    remember_anonymous_csrf(request, response, secure=secure)
    return response

"""Server-rendered pages: the landing page and, in demo mode, a simulated consumer's feed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from xingqu.api.deps import PlatformDep
from xingqu.discovery.feed import feed
from xingqu.identity import services as identity
from xingqu.insight.queries import marketplace_figures
from xingqu.sim.truth import SimTruth, UserTruth
from xingqu.web.cards import card
from xingqu.web.labels import CategoryLabel, category_labels
from xingqu.web.rendering import render
from xingqu.web.session import MaybeActor

router = APIRouter(include_in_schema=False)

_STATIC = Path(__file__).parent / "static"

DEMO_USERS = 30
FEED_LIMIT = 20


@dataclass(frozen=True, slots=True)
class DemoUser:
    user_id: int
    display_name: str
    username: str
    activity: float
    hidden: CategoryLabel | None  # the strongest interest they never search for


@dataclass(frozen=True, slots=True)
class DemoAccount:
    role: str
    user_id: int
    username: str


@dataclass(frozen=True, slots=True)
class Interest:
    label: CategoryLabel
    weight: float
    latent: bool


@router.get("/", response_class=HTMLResponse)
def landing(request: Request, platform: PlatformDep, actor: MaybeActor) -> Response:
    """What Xingqu is, live figures and (in demo mode) the demo consumers."""
    truth = _truth(platform.settings.data_dir) if platform.settings.demo_mode else None
    demo_users = _demo_users(truth) if truth is not None else []
    accounts = _demo_accounts(truth) if truth is not None else []
    return render(
        request,
        "landing.html",
        actor=actor,
        figures=marketplace_figures(platform.uow(readonly=True)),
        demo_mode=platform.settings.demo_mode,
        demo_users=demo_users,
        demo_accounts=accounts,
    )


@router.get("/demo/feed/{user_id}", response_class=HTMLResponse)
def demo_feed(user_id: int, request: Request, platform: PlatformDep, actor: MaybeActor) -> Response:
    """A simulated consumer's next feed page, served (and logged) by the real feed. Demo mode only."""
    if not platform.settings.demo_mode:
        raise HTTPException(status_code=404, detail="the demo feed exists only in demo mode")
    user = identity.get_user(platform.uow(readonly=True), user_id)
    page = feed(platform.uow(), user.actor(), limit=FEED_LIMIT, engine=platform.feed_engine)
    labels = category_labels(platform)
    truth = _truth(platform.settings.data_dir)
    known = next((u for u in truth.users if u.user_id == user_id), None) if truth else None
    return render(
        request,
        "feed.html",
        actor=actor,
        user=user,
        request_id=page.request_id,
        cards=[card(item, labels) for item in page.items],
        interests=_interests(known, truth) if known is not None and truth is not None else [],
    )


@router.get("/static/{name}")
def static_file(name: str) -> FileResponse:
    path = _STATIC / name
    if "/" in name or name.startswith(".") or not path.is_file():
        raise HTTPException(status_code=404, detail=f"no static file {name!r}")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})


# --- the simulator's ground truth (demo mode) ------------------------------------------------------

_truth_cache: dict[Path, tuple[float, SimTruth]] = {}


def _truth(data_dir: Path) -> SimTruth | None:
    """The simulated world's truth file, re-read only when it changes."""
    if not SimTruth.exists(data_dir):
        return None
    path = data_dir.resolve()
    mtime = SimTruth.modified_at(data_dir)
    cached = _truth_cache.get(path)
    if cached is None or cached[0] != mtime:
        cached = (mtime, SimTruth.load(data_dir))
        _truth_cache[path] = cached
    return cached[1]


def _label(truth: SimTruth, code: str) -> CategoryLabel:
    category = truth.category_by_code()[code]
    return CategoryLabel(category.name_en, category.name_zh, category.colour)


def _demo_users(truth: SimTruth) -> list[DemoUser]:
    most_active = sorted(truth.users, key=lambda u: (-u.activity, u.user_id))[:DEMO_USERS]
    out: list[DemoUser] = []
    for u in most_active:
        hidden = max(u.latent, key=lambda code: u.interests.get(code, 0.0), default=None)
        out.append(
            DemoUser(
                user_id=u.user_id,
                display_name=u.display_name,
                username=u.username,
                activity=u.activity,
                hidden=_label(truth, hidden) if hidden is not None else None,
            )
        )
    return out


def _demo_accounts(truth: SimTruth) -> list[DemoAccount]:
    """The demo's four role accounts (operator, merchant, creator, consumer) to sign in as."""
    names = {u.user_id: u.username for u in truth.users}
    names.update({m.user_id: m.username for m in truth.merchants})
    names.update({c.user_id: c.username for c in truth.creators})
    order = ("consumer", "creator", "merchant", "operator")
    return [
        DemoAccount(role, truth.demo_accounts[role], names.get(truth.demo_accounts[role], role))
        for role in order
        if role in truth.demo_accounts
    ]


def _interests(user: UserTruth, truth: SimTruth) -> list[Interest]:
    ranked = sorted(user.interests.items(), key=lambda kv: (-kv[1], kv[0]))
    return [Interest(_label(truth, code), weight, code in user.latent) for code, weight in ranked]

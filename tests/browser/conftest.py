"""Browser tests: a real `xingqu serve` process on a small simulated world (three days of
marketplace life, built once per session), driven by Playwright in Debian's Chromium (never a
downloaded browser). Outside CI they skip when Chromium or Playwright is absent, saying so; under
CI=true that is a failure.

Every test saves screenshots under `tests/artifacts/screenshots/<test>/` (see `shot`)."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import text

from tests.conftest import service_unavailable
from tests.sim.tiny import copy_world, tiny_settings
from xingqu.bootstrap import Platform, build_platform
from xingqu.cli.demo import prepare_demo
from xingqu.sim.world import WorldSize

pytestmark = pytest.mark.e2e

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
SCREENSHOTS = Path(__file__).parents[1] / "artifacts" / "screenshots"
BROWSER_WORLD = WorldSize(users=200, merchants=8, products=120, creators=12, content=240)
BROWSER_DAYS = 3


def chromium_path() -> str:
    found = os.environ.get("XINGQU_CHROMIUM") or next(
        (p for p in CHROMIUM_CANDIDATES if Path(p).is_file()), None
    )
    if found is None:
        service_unavailable("Chromium", "no /usr/bin/chromium: apt-get install chromium")
    return str(found)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class LiveServer:
    url: str
    data_dir: Path  # its data directory: tests may open the same database to set things up


@pytest.fixture(scope="session")
def browser_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small world with three simulated days ending now (orders, refunds, reviews, plans), so
    every console has something to show; built once per session (about 20 s)."""
    data_dir = tmp_path_factory.mktemp("browser-world") / "data"
    prepare_demo(
        tiny_settings(data_dir),
        BROWSER_WORLD,
        days=BROWSER_DAYS,
        seed=11,
        rebuild=True,
        console=Console(file=io.StringIO()),
    )
    return data_dir


@pytest.fixture(scope="session")
def live_server(
    browser_world: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """`xingqu serve` (demo mode) running on a private copy of the browser world."""
    data_dir = copy_world(browser_world, tmp_path_factory.mktemp("browser") / "world")
    port = _free_port()
    env = {
        **os.environ,
        "XINGQU_DATA_DIR": str(data_dir),
        "XINGQU_DEMO_MODE": "true",
        "XINGQU_ENVIRONMENT": "test",
        "PYTHONUNBUFFERED": "1",
    }
    log = (data_dir / "server.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from xingqu.cli.main import app; app()",
            "serve",
            "--port",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/v1/health", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise AssertionError(
                f"the server did not start: {(data_dir / 'server.log').read_text()}"
            )
        time.sleep(0.2)
    yield LiveServer(base, data_dir)
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_unavailable("Playwright", "the playwright package is not installed")
    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh browser context (no cookies) and page, phone-sized when the test asks."""
    phone = request.node.get_closest_marker("phone") is not None
    viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    context = browser.new_context(viewport=viewport, locale="en-US")  # type: ignore[attr-defined]
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


@pytest.fixture
def shot(page: object, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """`shot("name")` saves a full-page screenshot of the page under
    tests/artifacts/screenshots/<test>/."""
    folder = SCREENSHOTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    taken: list[Path] = []

    def take(name: str) -> Path:
        path = folder / f"{len(taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        taken.append(path)
        return path

    return take


DEMO_BUTTONS = {
    "consumer": "Consumer",
    "creator": "Creator",
    "merchant": "Merchant",
    "operator": "Operator",
}


def sign_in_as(page: Any, server: LiveServer, role: str) -> None:
    """Sign in with the landing page's demo button of `role` (demo mode), in English."""
    page.goto(server.url + "/?lang=en")
    page.get_by_role("button", name=DEMO_BUTTONS[role], exact=True).click()
    page.wait_for_load_state()


@contextmanager
def server_platform(server: LiveServer) -> Iterator[Platform]:
    """The live server's database, opened from the test to set things up or check them."""
    platform = build_platform(tiny_settings(server.data_dir), migrate_schema=False)
    try:
        yield platform
    finally:
        platform.close()


def scalar(server: LiveServer, sql: str, **params: object) -> Any:
    """One value read from the live server's database."""
    with server_platform(server) as platform, platform.engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()

"""The FastAPI application factory."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from xingqu import __version__
from xingqu.api.errors import install_error_handlers
from xingqu.bootstrap import Platform

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"


class OutboxDrainer:
    """Relays the outbox in the background so reactions (profiles, behaviour) land within seconds."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-drainer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.platform.settings.dispatch_interval_s):
            try:
                self.platform.drain_events()
            except Exception:  # keep serving; the rows stay pending and are retried
                log.exception("outbox relay failed; will retry")


def create_app(platform: Platform, *, drain_in_background: bool = True) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        drainer = OutboxDrainer(platform) if drain_in_background else None
        if drainer:
            drainer.start()
        try:
            yield
        finally:
            if drainer:
                drainer.stop()

    app = FastAPI(
        title="Xingqu API",
        version=__version__,
        description="Interest e-commerce engine: catalog, content, trade, after-sales and discovery.",
        lifespan=lifespan,
    )
    app.state.platform = platform
    install_error_handlers(app)

    from xingqu.api.routers import aftersales, catalog, content, discovery, identity, trade

    for module in (identity, catalog, content, trade, aftersales, discovery):
        app.include_router(module.router, prefix=API_PREFIX)

    from xingqu.api.routers import governance

    app.include_router(governance.router, prefix=API_PREFIX)

    from xingqu.api.routers import affiliate, ledger, tickets

    for module in (tickets, affiliate, ledger):
        app.include_router(module.router, prefix=API_PREFIX)

    @app.get(f"{API_PREFIX}/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    from xingqu.web import install_web

    install_web(app)
    return app

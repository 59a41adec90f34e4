"""The model version a server uses, swapped without stopping: `ModelSlot` notices a new CURRENT
in the registry, loads it in a background thread and swaps one reference; requests in flight
finish on the version they started with."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from xingqu.discovery.engine.model import EngineModel
from xingqu.discovery.engine.registry import ModelRegistry, RegistryError

log = logging.getLogger(__name__)

POLL_S = 2.0


class ModelSlot:
    """The model version a server uses, reloaded when the registry's CURRENT changes.

    `get()` is cheap: at most every `poll_s` it stats CURRENT; a change starts one background
    load, and the old version keeps serving until the new one is ready (the first load, with
    nothing to serve meanwhile, happens in the caller's thread). A version that fails to load is
    logged and skipped until CURRENT changes again."""

    def __init__(
        self,
        registry: ModelRegistry | None,
        *,
        poll_s: float = POLL_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registry = registry
        self.poll_s = poll_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._model: EngineModel | None = None
        self._stamp: tuple[int, int] | None = None
        self._checked = -float("inf")
        self._loader: threading.Thread | None = None

    def get(self) -> EngineModel | None:
        if self.registry is None:
            return None
        now = self._monotonic()
        if now - self._checked < self.poll_s:
            return self._model
        with self._lock:
            if now - self._checked < self.poll_s:
                return self._model
            self._checked = now
            stamp = self.registry.current_stamp()
            if stamp == self._stamp or self._loader is not None:
                return self._model
            self._stamp = stamp
            if self._model is None:
                self._load()
            else:
                self._loader = threading.Thread(
                    target=self._load_in_background, name="discovery-model-loader", daemon=True
                )
                self._loader.start()
        return self._model

    @property
    def held(self) -> EngineModel | None:
        """The version held right now (no look at the registry)."""
        return self._model

    def refresh(self) -> EngineModel | None:
        """Load the current version now (in this thread) if it is not the one held."""
        if self.registry is None:
            return None
        self.wait()
        with self._lock:
            self._stamp = self.registry.current_stamp()
            self._checked = self._monotonic()
            self._load()
        return self._model

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a background load in flight (tests, shutdown)."""
        loader = self._loader
        if loader is not None:
            loader.join(timeout)

    def _load(self) -> None:
        assert self.registry is not None
        version = self.registry.current()
        if version is None or (self._model is not None and self._model.version == version):
            return
        try:
            model = EngineModel.load(self.registry.path(version), version)
        except (RegistryError, OSError, ValueError, KeyError) as exc:
            log.error("model version %s could not be loaded: %s", version, exc)
            return
        self._model = model  # one reference: requests in flight keep the version they hold
        log.info("serving model version %s", version)

    def _load_in_background(self) -> None:
        try:
            self._load()
        finally:
            with self._lock:
                self._loader = None

"""The feed entry point: `feed(uow, actor, limit=…)` serves one page through a `FeedEngine`.

Surfaces pass the platform's engine (`Platform.feed_engine`, which serves the published model
version from the registry). Without one, each database gets a shared engine with no model
version: it serves from the online channels (interest, follow, fresh, trending) and ranks with
the prior heads, which is what a platform has before its first training.
"""

from __future__ import annotations

import threading
import weakref

from xingqu.discovery.engine.serving import (
    MAX_FEED_LIMIT,
    Feed,
    FeedEngine,
    FeedItem,
    FeedProduct,
)
from xingqu.shared.access import Actor
from xingqu.store.uow import UnitOfWork

__all__ = ["MAX_FEED_LIMIT", "Feed", "FeedEngine", "FeedItem", "FeedProduct", "feed"]

_ENGINES: weakref.WeakKeyDictionary[object, FeedEngine] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def feed(
    uow: UnitOfWork, actor: Actor, *, limit: int = 20, engine: FeedEngine | None = None
) -> Feed:
    """The next page of the actor's feed; logs what it shows."""
    return (engine or _model_free_engine(uow)).serve(uow, actor, limit=limit)


def _model_free_engine(uow: UnitOfWork) -> FeedEngine:
    with _LOCK:
        engine = _ENGINES.get(uow.engine.pool)
        if engine is None:
            engine = _ENGINES[uow.engine.pool] = FeedEngine()
        return engine

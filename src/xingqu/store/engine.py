"""Engines chosen by URL: SQLite (WAL) by default, PostgreSQL at scale."""

from __future__ import annotations

import sqlite3
import threading
import weakref
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> Engine:
    """Create an engine for `url`.

    SQLite runs in WAL mode with a long busy timeout, and every write transaction starts with
    ``BEGIN IMMEDIATE`` so that concurrent writers queue for the lock instead of failing on a
    read-to-write upgrade. Read-only units of work use a deferred ``BEGIN``.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo)
    kwargs: dict[str, Any] = {"echo": echo, "pool_pre_ping": True}
    if parsed.get_backend_name() == "postgresql":
        kwargs.update(pool_size=pool_size, max_overflow=pool_size * 2)
    return create_engine(url, **kwargs)


def _sqlite_engine(url: str, *, echo: bool) -> Engine:
    in_memory = make_url(url).database in (None, "", ":memory:")
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        # Pooled connections stay open between units of work: closing the last connection to a
        # WAL database checkpoints and deletes the WAL, which doubles the cost of small
        # transactions. Each checkout is exclusive to one thread.
        **({} if in_memory else {"pool_size": 8, "max_overflow": 64}),
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if engine in _CHECKPOINTS_ELSEWHERE:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = "" if conn.get_execution_options().get("xingqu_readonly") else " IMMEDIATE"
        conn.exec_driver_sql(f"BEGIN{mode}")

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def is_sqlite_file(engine: Engine) -> bool:
    """A SQLite database in a file (not in memory)."""
    return is_sqlite(engine) and engine.url.database not in (None, "", ":memory:")


ANALYSIS_LIMIT = 1_000
"""Rows SQLite's ANALYZE samples per index: approximate statistics in milliseconds."""


def refresh_statistics(engine: Engine) -> None:
    """Refresh the query planner's statistics. Without them SQLite may answer "these 120 ids,
    if published" by scanning every published row through the (status, published_at) index
    instead of looking the ids up (measured: 1.1 ms → 0.07 ms per feed query on 10,000 items).
    Servers run it when they start; the worker and training run it again as the data grows.
    The statistics are sampled (`ANALYSIS_LIMIT`) and can still mislead the planner on large
    tables (on 100,000 content items they made "status = 'published'" look selective), so the
    feed's queries by id check such columns in Python instead (`content.queries`)."""
    with engine.begin() as conn:
        if is_sqlite(engine):
            conn.exec_driver_sql(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        conn.exec_driver_sql("ANALYZE")


_CHECKPOINTS_ELSEWHERE: weakref.WeakSet[Engine] = weakref.WeakSet()
"""SQLite engines whose connections leave checkpoints to a `WalCheckpointer`."""
CHECKPOINT_INTERVAL_S = 1.0


class WalCheckpointer:
    """Checkpoints a SQLite database's write-ahead log from a background thread, so that no
    request pays for it. By default SQLite checkpoints inside the commit that pushes the log past
    1,000 pages: on a server logging every feed's impressions that is one feed in fifty or so,
    and it made the slowest 2% of feeds twice as slow (measured: 11.8 ms of their 33 ms in the
    commit, against 0.3 ms for a median feed). `start` turns the engine's automatic checkpoints
    off for its connections (they are re-opened) and checkpoints every `interval_s` on its own
    connection (PASSIVE: it never waits for readers or writers). Other processes on the same
    database keep SQLite's default; nothing is lost if the server dies, the log is simply
    checkpointed later."""

    def __init__(self, engine: Engine, *, interval_s: float = CHECKPOINT_INTERVAL_S) -> None:
        if not is_sqlite_file(engine):
            raise ValueError("background checkpoints are for a SQLite database file")
        self.engine = engine
        self.path = str(engine.url.database)
        self.interval_s = interval_s
        self.checkpoints = 0
        self.last: tuple[int, int, int] | None = None  # (busy, log pages, checkpointed pages)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._thread is not None:
            return
        _CHECKPOINTS_ELSEWHERE.add(self.engine)
        self.engine.dispose()  # pooled connections re-open without automatic checkpoints
        self._thread = threading.Thread(target=self._run, name="wal-checkpointer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread after one last checkpoint, and give the engine its default back."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        _CHECKPOINTS_ELSEWHERE.discard(self.engine)
        self.engine.dispose()

    def checkpoint(self, connection: sqlite3.Connection) -> None:
        busy, log, done = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self.last = (int(busy), int(log), int(done))
        self.checkpoints += 1

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
        try:
            while not self._stop.wait(self.interval_s):
                self.checkpoint(connection)
            self.checkpoint(connection)
        finally:
            connection.close()

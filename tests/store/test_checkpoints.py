"""Background WAL checkpoints: a server's commits never pay for SQLite's checkpoint."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from xingqu.bootstrap import build_platform
from xingqu.config import Settings
from xingqu.store.engine import WalCheckpointer, make_engine


def _autocheckpoint(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


def test_the_checkpointer_takes_checkpoints_off_the_connections(tmp_path: Path) -> None:
    # given a SQLite database file with a table
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
    assert _autocheckpoint(engine) == 1000  # SQLite's default
    checkpointer = WalCheckpointer(engine, interval_s=0.05)
    # when it starts and rows are written
    checkpointer.start()
    try:
        assert _autocheckpoint(engine) == 0
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "x" * 500}] * 2000)
        deadline = time.monotonic() + 10
        while checkpointer.checkpoints < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        checkpointer.stop()
    # then its thread checkpointed every page of the log, and the rows are all there
    assert checkpointer.checkpoints >= 3
    assert checkpointer.last is not None
    busy, log, done = checkpointer.last
    assert busy == 0 and log > 0 and done == log
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 2000
    # and once stopped the connections checkpoint by themselves again
    assert _autocheckpoint(engine) == 1000
    engine.dispose()


def test_only_a_sqlite_file_can_be_checkpointed_in_the_background() -> None:
    with pytest.raises(ValueError, match="SQLite database file"):
        WalCheckpointer(make_engine("sqlite://"))


def test_a_server_checkpoints_in_the_background_until_it_closes(tmp_path: Path) -> None:
    # given a platform on a SQLite file, prepared to serve as `xingqu serve` prepares it
    platform = build_platform(Settings(data_dir=tmp_path, environment="test"))
    try:
        platform.prepare_to_serve()
        checkpointer = platform.extras["wal_checkpointer"]
        # then its connections leave checkpoints to the running checkpointer
        assert isinstance(checkpointer, WalCheckpointer)
        assert checkpointer.running
        assert _autocheckpoint(platform.engine) == 0
    finally:
        platform.close()
    # and closing the platform stopped it
    assert not checkpointer.running
    assert "wal_checkpointer" not in platform.extras

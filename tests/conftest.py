"""Fixtures: platforms on SQLite (always) and PostgreSQL (when reachable; required under CI=true)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from xingqu.bootstrap import Platform, build_platform
from xingqu.config import Settings
from xingqu.shared.clock import ManualClock
from xingqu.store import migrate
from xingqu.store.base import load_all_models
from xingqu.store.engine import make_engine

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_URL = os.environ.get(
    "XINGQU_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("XINGQU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def service_unavailable(what: str, why: str) -> None:
    """Skip a test that needs a real service, except under CI=true where that is a failure."""
    message = f"{what} is not reachable ({why}); set it up or run with CI=true to make this fatal"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (migrating per test is slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()  # the last connection to close checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    """A private schema in the test database, migrated once; tables are emptied per test."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        service_unavailable("PostgreSQL", "psycopg is not installed")
    schema = f"xq_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        admin.dispose()
        service_unavailable("PostgreSQL", f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
    separator = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _settings(tmp_path: Path, url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=url, environment="test")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def platform(tmp_path: Path, sqlite_template: Path, clock: ManualClock) -> Iterator[Platform]:
    """A platform on a fresh SQLite database with a manual clock."""
    db = tmp_path / "xingqu.db"
    shutil.copy(sqlite_template, db)
    p = build_platform(_settings(tmp_path, f"sqlite:///{db}"), clock=clock, migrate_schema=False)
    yield p
    p.close()


@pytest.fixture
def postgres_platform(
    tmp_path: Path, postgres_schema_url: str, clock: ManualClock
) -> Iterator[Platform]:
    p = build_platform(_settings(tmp_path, postgres_schema_url), clock=clock, migrate_schema=False)
    tables = ", ".join(
        f'"{t.name}"' for t in load_all_models().sorted_tables if t.name != "alembic_version"
    )
    with p.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield p
    p.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def any_platform(request: pytest.FixtureRequest) -> Platform:
    """The same test on every storage backend (the contract suite)."""
    name = "platform" if request.param == "sqlite" else "postgres_platform"
    return request.getfixturevalue(name)


@pytest.fixture
def redis_url() -> str:
    try:
        import redis
    except ImportError:
        service_unavailable("Redis", "the redis package is not installed")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except Exception as exc:
        service_unavailable("Redis", f"{type(exc).__name__}: {exc}")
    finally:
        client.close()
    return REDIS_URL

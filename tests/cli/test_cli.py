import os
import stat
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tests.sim.tiny import tiny_settings
from xingqu.bootstrap import build_platform
from xingqu.cli.demo import CREDENTIALS_FILE, read_logins
from xingqu.cli.main import app
from xingqu.discovery import queries as discovery_queries
from xingqu.identity import services as identity
from xingqu.shared.access import Role
from xingqu.shared.errors import DomainError
from xingqu.sim.truth import SimProgress, SimTruth

TINY_FLAGS = ["--users", "50", "--merchants", "5", "--products", "60", "--creators", "8"]
TINY_FLAGS += ["--content", "100", "--days", "1", "--no-serve"]

runner = CliRunner()


def _invoke(data_dir: Path, *args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), input=stdin, env={"XINGQU_DATA_DIR": str(data_dir)})


def test_demo_builds_a_tiny_marketplace_with_private_log_ins(tmp_path: Path) -> None:
    # given
    data_dir = tmp_path / "demo"
    # when
    result = _invoke(data_dir, "demo", *TINY_FLAGS)
    # then
    assert result.exit_code == 0, result.output
    assert SimTruth.exists(data_dir)
    progress = SimProgress.load(data_dir)
    assert progress is not None and progress.days_done == 1
    credentials = data_dir / CREDENTIALS_FILE
    assert stat.S_IMODE(os.stat(credentials).st_mode) == 0o600
    logins = read_logins(tiny_settings(data_dir))
    assert [(x.role, x.username) for x in logins] == [
        ("operator", "demo-operator"),
        ("merchant", "demo-merchant"),
        ("creator", "demo-creator"),
        ("consumer", "demo-consumer"),
    ]
    p = build_platform(tiny_settings(data_dir), migrate_schema=False)
    for login in logins:
        assert login.password in result.output
        issued = identity.login(p.uow(), login.username, login.password, ttl=timedelta(hours=1))
        actor = identity.authenticate(p.uow(readonly=True), issued.token)
        assert actor.roles == frozenset({Role(login.role)})
    simulated = SimTruth.load(data_dir).users[7].username
    with pytest.raises(DomainError):  # the simulated people have no password
        identity.login(p.uow(), simulated, "anything-at-all-1", ttl=timedelta(hours=1))
    p.close()


def test_an_existing_demo_is_reused_unless_rebuilt(tiny_world: Path) -> None:
    # given
    before = read_logins(tiny_settings(tiny_world))
    # when
    reused = _invoke(tiny_world, "demo", *TINY_FLAGS)
    # then
    assert reused.exit_code == 0, reused.output
    assert "Reusing the demo" in reused.output
    assert read_logins(tiny_settings(tiny_world)) == before
    # when
    rebuilt = _invoke(tiny_world, "demo", *TINY_FLAGS, "--rebuild")
    # then
    assert rebuilt.exit_code == 0, rebuilt.output
    after = read_logins(tiny_settings(tiny_world))
    assert [x.username for x in after] == [x.username for x in before]
    assert all(a.password != b.password for a, b in zip(after, before, strict=True))


def test_simulate_adds_days_to_the_existing_world(tiny_world: Path) -> None:
    # when
    result = _invoke(tiny_world, "simulate", "--days", "2")
    # then
    assert result.exit_code == 0, result.output
    progress = SimProgress.load(tiny_world)
    assert progress is not None and progress.days_done == 3
    assert "feeds served" in result.output


def test_simulate_without_a_world_says_how_to_make_one(tmp_path: Path) -> None:
    result = _invoke(tmp_path / "empty", "simulate")
    assert result.exit_code == 1
    assert "xingqu demo --no-serve" in result.output


def test_create_operator_reads_the_password_from_stdin(tiny_world: Path) -> None:
    # when
    result = _invoke(
        tiny_world, "create-operator", "ops.lead", "--password-stdin", stdin="long-enough-1\n"
    )
    # then
    assert result.exit_code == 0, result.output
    p = build_platform(tiny_settings(tiny_world), migrate_schema=False)
    issued = identity.login(p.uow(), "ops.lead", "long-enough-1", ttl=timedelta(hours=1))
    assert identity.authenticate(p.uow(readonly=True), issued.token).is_operator
    p.close()


def test_create_operator_refuses_a_weak_password(tiny_world: Path) -> None:
    # when
    result = _invoke(tiny_world, "create-operator", "ops.two", "--password-stdin", stdin="short\n")
    # then
    assert result.exit_code == 1
    assert "identity.weak_password" in result.output
    p = build_platform(tiny_settings(tiny_world), migrate_schema=False)
    with pytest.raises(DomainError):
        identity.login(p.uow(), "ops.two", "short", ttl=timedelta(hours=1))
    p.close()


def test_create_operator_asks_twice(tiny_world: Path) -> None:
    result = _invoke(
        tiny_world, "create-operator", "ops.three", stdin="long-enough-3\nlong-enough-3\n"
    )
    assert result.exit_code == 0, result.output
    assert "Operator ops.three created" in result.output


def test_export_behaviour_writes_every_row_to_parquet(tiny_world: Path, tmp_path: Path) -> None:
    # given
    target = tmp_path / "out" / "behaviour.parquet"
    p = build_platform(tiny_settings(tiny_world), migrate_schema=False)
    expected = sum(discovery_queries.action_counts(p.uow(readonly=True)).values())
    p.close()
    # when
    result = _invoke(tiny_world, "export-behaviour", str(target))
    # then
    assert result.exit_code == 0, result.output
    assert expected > 100
    assert pq.read_table(target).num_rows == expected


def test_migrate_creates_the_schema(tmp_path: Path) -> None:
    result = _invoke(tmp_path / "fresh", "migrate")
    assert result.exit_code == 0, result.output
    assert "0001_initial" in result.output
    assert (tmp_path / "fresh" / "xingqu.db").is_file()


def test_a_demo_whose_database_is_gone_is_built_again(tiny_world: Path) -> None:
    # given
    (tiny_world / "xingqu.db").unlink()
    # when
    result = _invoke(tiny_world, "demo", *TINY_FLAGS)
    # then
    assert result.exit_code == 0, result.output
    assert "Building the demo marketplace" in result.output
    assert "Reusing" not in result.output
    assert (tiny_world / "xingqu.db").is_file()

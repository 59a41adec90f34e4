"""A tiny simulated marketplace, built through the CLI's demo function in about two seconds."""

from __future__ import annotations

import io
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from xingqu.cli.demo import DemoResult, prepare_demo
from xingqu.config import Settings
from xingqu.sim.world import WorldSize

TINY = WorldSize(users=50, merchants=5, products=60, creators=8, content=100)
FIXED_NOW = datetime(2026, 3, 2, 4, 30, tzinfo=UTC)


def tiny_settings(data_dir: Path, *, demo_mode: bool = True) -> Settings:
    return Settings(data_dir=data_dir, environment="test", demo_mode=demo_mode)


def build_tiny(
    data_dir: Path, *, seed: int = 7, days: int = 1, now: datetime | None = None
) -> DemoResult:
    return prepare_demo(
        tiny_settings(data_dir),
        TINY,
        days=days,
        seed=seed,
        rebuild=True,
        console=Console(file=io.StringIO()),
        now=now,
    )


def copy_world(template: Path, target: Path) -> Path:
    """A private copy of a built world (database and simulator files) for one test."""
    shutil.copytree(template, target)
    return target


@pytest.fixture(scope="session")
def tiny_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny world with one simulated day, built once per test session (per test folder)."""
    data_dir = tmp_path_factory.mktemp("tiny-world") / "data"
    build_tiny(data_dir)
    return data_dir


@pytest.fixture
def tiny_world(tiny_template: Path, tmp_path: Path) -> Path:
    """A private copy of the tiny world's data directory."""
    return copy_world(tiny_template, tmp_path / "world")

"""A tiny simulated world with a trained model version, built once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sim.tiny import FIXED_NOW, build_tiny, copy_world, tiny_settings
from xingqu.bootstrap import Platform, build_platform
from xingqu.discovery.engine.registry import ModelRegistry
from xingqu.discovery.engine.training import TrainingSettings, train_and_publish
from xingqu.shared.clock import ManualClock

SMALL_DATA = TrainingSettings(min_users=5, min_ranker_rows=200)
"""The tiny world has 50 people: the production thresholds would leave out blend and ranker."""


def trained_platform(data_dir: Path) -> Platform:
    return build_platform(tiny_settings(data_dir), clock=ManualClock(FIXED_NOW))


@pytest.fixture(scope="session")
def trained_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("trained-world") / "data"
    build_tiny(data_dir, days=2, now=FIXED_NOW)
    platform = trained_platform(data_dir)
    try:
        train_and_publish(
            lambda: platform.uow(readonly=True),
            ModelRegistry(data_dir / "models"),
            now=FIXED_NOW,
            settings=SMALL_DATA,
        )
    finally:
        platform.close()
    return data_dir


@pytest.fixture
def trained(trained_template: Path, tmp_path: Path) -> Iterator[Platform]:
    """A private copy of the trained world, its engine serving the trained version."""
    platform = trained_platform(copy_world(trained_template, tmp_path / "world"))
    assert platform.feed_engine.slot.refresh() is not None
    yield platform
    platform.close()

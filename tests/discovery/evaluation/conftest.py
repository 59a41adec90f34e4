"""Fixtures of the evaluation tests (shared-data checks live in `shared_data`)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def eval_dir(tmp_path: Path) -> Path:
    return tmp_path / "eval"

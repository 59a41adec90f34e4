"""Public datasets for evaluation tests: present beside the checkout, or the test is skipped —
except under CI=true, where missing data is a failure (as for PostgreSQL and Redis)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from xingqu.discovery.evaluation.datasets import data_root, dataset_path

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def data_unavailable(what: str, why: str) -> None:
    """Skip a test that needs shared data, except under CI=true where that is a failure."""
    message = (
        f"{what} is not available ({why}); put shared/data beside the checkout "
        "or set XINGQU_SHARED_DATA"
    )
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def require_dataset(name: str) -> Path:
    """The dataset's main file; skips (or fails under CI=true) when it is missing."""
    path = dataset_path(name)
    if not path.is_file():
        data_unavailable(f"dataset {name!r}", f"{path} is missing (data root {data_root()})")
    return path

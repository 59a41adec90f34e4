"""Typed errors of offline evaluation (datasets, split files, the protocol)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from xingqu.shared.errors import DomainError, ErrorKind


class EvaluationError(StrEnum):
    UNKNOWN_DATASET = "evaluation.unknown_dataset"
    DATASET_MISSING = "evaluation.dataset_missing"
    SPLIT_MISSING = "evaluation.split_missing"
    SPLIT_CORRUPT = "evaluation.split_corrupt"
    INVALID_PROTOCOL = "evaluation.invalid_protocol"
    INVALID_RECOMMENDATIONS = "evaluation.invalid_recommendations"


class DatasetUnavailable(DomainError):
    """A public dataset's files are not on this machine (they live beside the checkout)."""

    def __init__(self, dataset: str, path: Path) -> None:
        super().__init__(
            EvaluationError.DATASET_MISSING,
            f"dataset {dataset!r} needs {path}, which does not exist; put the shared data "
            "beside the checkout (../shared/data) or point XINGQU_SHARED_DATA at it",
            ErrorKind.UNAVAILABLE,
            {"dataset": dataset, "path": str(path)},
        )
        self.dataset = dataset
        self.path = path

"""Versioned model artifacts in a directory, published atomically, with a CURRENT pointer.

    <root>/
      CURRENT                      the active version's id (replaced with os.replace)
      20260301T043000-1a2b3c/      one folder per version
        manifest.json              version, created_at, data window and counts, offline
                                   metrics, components, format
        ...                        the components (each saved by its own save(); no pickle)

`publish` writes a new version into a hidden temporary folder, renames it into place (a
rename within one file system is atomic: readers see all of a version or none of it), then
points CURRENT at it (written to a temporary file and moved over CURRENT with `os.replace`, also
atomic), and finally prunes old versions down to the last `keep` (never the current one).
`activate(version)` points CURRENT at an older version: a rollback.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FORMAT = "xingqu-engine/1"
MANIFEST_FILE = "manifest.json"
CURRENT_FILE = "CURRENT"
_TEMP_PREFIX = ".publishing-"


class RegistryError(RuntimeError):
    """A version that does not exist, or a registry folder that is not one."""


@dataclass(frozen=True)
class Manifest:
    """What a version is: enough to audit it without loading it."""

    version: str
    created_at: str  # ISO 8601, UTC
    format: str = FORMAT
    data_window: Mapping[str, str | None] = field(default_factory=dict)  # since / until, ISO
    counts: Mapping[str, int] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    components: Mapping[str, str] = field(default_factory=dict)  # name → what it holds
    settings: Mapping[str, Any] = field(default_factory=dict)
    timings_s: Mapping[str, float] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        raw = json.loads(text)
        return cls(**raw)


def new_version_id(now: datetime | None = None) -> str:
    """A sortable, unique version id: UTC time to the second, then six random hex digits."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


class ModelRegistry:
    """The model versions under `root` (created on first publish)."""

    def __init__(self, root: Path | str, *, keep: int = 5) -> None:
        if keep < 1:
            raise ValueError("keep at least one version")
        self.root = Path(root)
        self.keep = keep

    # --- reading --------------------------------------------------------------------------------

    def current(self) -> str | None:
        """The active version's id, or None before the first publish."""
        try:
            text = (self.root / CURRENT_FILE).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return text or None

    def current_stamp(self) -> tuple[int, int] | None:
        """A cheap fingerprint of CURRENT (inode, mtime in ns): it changes whenever CURRENT is
        replaced, so a server can poll it without reading the file."""
        try:
            stat = (self.root / CURRENT_FILE).stat()
        except FileNotFoundError:
            return None
        return stat.st_ino, stat.st_mtime_ns

    def path(self, version: str) -> Path:
        folder = self.root / version
        if version.startswith(".") or "/" in version or not (folder / MANIFEST_FILE).is_file():
            raise RegistryError(f"no model version {version!r} in {self.root}")
        return folder

    def manifest(self, version: str) -> Manifest:
        return Manifest.from_json((self.path(version) / MANIFEST_FILE).read_text("utf-8"))

    def versions(self) -> list[str]:
        """Every complete version, oldest first."""
        if not self.root.is_dir():
            return []
        return sorted(
            p.name
            for p in self.root.iterdir()
            if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST_FILE).is_file()
        )

    # --- writing --------------------------------------------------------------------------------

    def publish(
        self,
        write: Callable[[Path], Mapping[str, str]],
        manifest: Callable[[str, Mapping[str, str]], Manifest],
        *,
        version: str | None = None,
        activate: bool = True,
    ) -> Manifest:
        """Publish a version: `write(folder)` saves the components into an empty folder and
        returns their names → descriptions; `manifest(version, components)` describes the
        version. Nothing is visible until both are done; then CURRENT points at it (unless
        `activate` is False) and old versions are pruned."""
        version = version or new_version_id()
        self.root.mkdir(parents=True, exist_ok=True)
        if (self.root / version).exists():
            raise RegistryError(f"version {version} exists already")
        staging = self.root / f"{_TEMP_PREFIX}{version}"
        staging.mkdir()
        try:
            components = write(staging)
            described = manifest(version, components)
            if described.version != version:
                raise RegistryError("the manifest names another version")
            (staging / MANIFEST_FILE).write_text(described.to_json(), encoding="utf-8")
            _fsync_tree(staging)
            staging.rename(self.root / version)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if activate:
            self.activate(version)
        self.prune()
        return described

    def activate(self, version: str) -> None:
        """Point CURRENT at `version` (a rollback when it is an older one)."""
        self.path(version)  # it must exist
        temporary = self.root / f".{CURRENT_FILE}.{uuid.uuid4().hex}"
        with temporary.open("w", encoding="utf-8") as out:
            out.write(version + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.root / CURRENT_FILE)

    def prune(self) -> list[str]:
        """Delete all but the newest `keep` versions (the current one always stays)."""
        current = self.current()
        versions = self.versions()
        doomed = [v for v in versions[: max(0, len(versions) - self.keep)] if v != current]
        for version in doomed:
            # rename first so a half-deleted folder never looks like a version
            trash = self.root / f"{_TEMP_PREFIX}deleting-{version}"
            (self.root / version).rename(trash)
            shutil.rmtree(trash, ignore_errors=True)
        return doomed


def _fsync_tree(folder: Path) -> None:
    """Flush every file of `folder` to disk before it is renamed into place."""
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())

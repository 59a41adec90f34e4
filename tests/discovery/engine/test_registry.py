"""The model registry: atomic publishes, rollbacks, pruning."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from xingqu.discovery.engine.registry import Manifest, ModelRegistry, RegistryError


def _write(text: str):  # type: ignore[no-untyped-def]
    def write(folder: Path) -> Mapping[str, str]:
        (folder / "weights.txt").write_text(text)
        return {"weights.txt": f"the weights {text}"}

    return write


def _manifest(version: str, components: Mapping[str, str]) -> Manifest:
    return Manifest(version=version, created_at="2026-03-01T00:00:00+00:00", components=components)


def test_publish_activate_and_roll_back(tmp_path: Path) -> None:
    # given an empty registry
    registry = ModelRegistry(tmp_path / "models", keep=5)
    assert registry.current() is None and registry.current_stamp() is None
    # when two versions are published
    first = registry.publish(_write("one"), _manifest, version="v1")
    stamp = registry.current_stamp()
    second = registry.publish(_write("two"), _manifest, version="v2")
    # then the newest is current, both are complete, the stamp changed
    assert (registry.current(), registry.versions()) == ("v2", ["v1", "v2"])
    assert registry.current_stamp() != stamp
    assert (registry.path("v1") / "weights.txt").read_text() == "one"
    assert registry.manifest("v2") == second and first.components == {
        "weights.txt": "the weights one"
    }
    # when the operator rolls back
    registry.activate("v1")
    assert registry.current() == "v1"


def test_a_failed_publish_leaves_nothing_behind(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "models")
    registry.publish(_write("one"), _manifest, version="v1")

    def broken(folder: Path) -> Mapping[str, str]:
        (folder / "half.txt").write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        registry.publish(broken, _manifest, version="v2")
    assert registry.versions() == ["v1"] and registry.current() == "v1"
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["CURRENT", "v1"]


def test_old_versions_are_pruned_but_never_the_current_one(tmp_path: Path) -> None:
    # given a registry keeping the two newest versions, rolled back to the first
    registry = ModelRegistry(tmp_path / "models", keep=2)
    for v in ("v1", "v2"):
        registry.publish(_write(v), _manifest, version=v)
    registry.activate("v1")
    # when newer versions are published without being activated
    registry.publish(_write("v3"), _manifest, version="v3", activate=False)
    assert registry.versions() == ["v1", "v2", "v3"]
    registry.publish(_write("v4"), _manifest, version="v4", activate=False)
    # then the two newest stay, and so does the current one, however old
    assert registry.versions() == ["v1", "v3", "v4"] and registry.current() == "v1"


def test_unknown_or_unsafe_versions_are_refused(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "models")
    registry.publish(_write("one"), _manifest, version="v1")
    for bad in ("v9", "../v1", ".publishing-v1", "v1/../v1"):
        with pytest.raises(RegistryError):
            registry.activate(bad)
    with pytest.raises(RegistryError):
        registry.publish(_write("again"), _manifest, version="v1")
    assert registry.current() == "v1" and registry.versions() == ["v1"]

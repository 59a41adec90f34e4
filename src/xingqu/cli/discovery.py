"""The discovery engine's commands: `xingqu train` and `xingqu models …`, and the periodic jobs
the worker and the demo run (learning the exploration bandit, training a new version)."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from xingqu.bootstrap import Platform, build_platform
from xingqu.config import Settings
from xingqu.discovery.engine.exploration import Learned, learn_from_log
from xingqu.discovery.engine.registry import Manifest, ModelRegistry, RegistryError
from xingqu.discovery.engine.training import TrainingSettings, train_and_publish
from xingqu.shared.progress import Step, no_progress, rich_steps

console = Console()
log = logging.getLogger(__name__)
models_app = typer.Typer(help="The model registry: list, show and activate (roll back) versions.")


def learn_exploration(platform: Platform) -> Learned:
    """Fold every exploration impression old enough to have been answered into the bandit."""
    total = Learned(0, 0.0, 0)
    while True:
        learned = learn_from_log(platform.uow())
        if learned.impressions == 0:
            return total
        total = Learned(
            total.impressions + learned.impressions,
            total.rewarded + learned.rewarded,
            total.arms + learned.arms,
        )


def training_settings(settings: Settings, **overrides: Any) -> TrainingSettings:
    """How this platform trains (`XINGQU_SEQUENCE_MODEL`, `XINGQU_RETRIEVAL_MODEL`)."""
    chosen: dict[str, Any] = {
        "sequence_model": settings.sequence_model,
        "retrieval": settings.retrieval_model,
        **overrides,
    }
    return TrainingSettings(**chosen)


def retrain(platform: Platform, *, now: datetime, step: Step = no_progress) -> Manifest:
    """Learn the bandit, refresh the planner's statistics, train and publish a new version,
    and serve it from this process."""
    learn_exploration(platform)
    platform.refresh_statistics()
    registry = platform.feed_engine.slot.registry
    assert registry is not None
    manifest = train_and_publish(
        lambda: platform.uow(readonly=True),
        registry,
        now=now,
        settings=training_settings(platform.settings),
        step=step,
    )
    platform.feed_engine.slot.refresh()
    return manifest


class DiscoveryJobs:
    """The engine's periodic work in `xingqu worker`, on a thread: every `learn_interval_s` the
    exploration bandit learns from answered exploration impressions, and once the current
    version is older than `retrain_interval_s` (0: never; no version yet: at once) a new one is
    trained and published (servers pick it up by themselves). A failure is logged and retried
    on the next tick; both jobs are idempotent."""

    def __init__(
        self, platform: Platform, *, learn_interval_s: float = 60.0, retrain_interval_s: float
    ) -> None:
        self.platform = platform
        self.learn_interval_s = learn_interval_s
        self.retrain_interval_s = retrain_interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="discovery-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=600)

    def retraining_due(self) -> bool:
        """Whether the current version is older than the retraining interval (or missing)."""
        if self.retrain_interval_s <= 0:
            return False
        registry = self.platform.feed_engine.slot.registry
        current = registry.current() if registry is not None else None
        if current is None:
            return True
        created = datetime.fromisoformat(registry.manifest(current).created_at)  # type: ignore[union-attr]
        return (datetime.now(UTC) - created).total_seconds() >= self.retrain_interval_s

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                learned = learn_exploration(self.platform)
                if learned.impressions:
                    console.print(
                        f"exploration: learned {learned.impressions} impressions "
                        f"({learned.arms} arms)"
                    )
                if self.retraining_due():
                    manifest = retrain(self.platform, now=self.platform.clock.now())
                    console.print(f"published model version {manifest.version}")
            except Exception:
                log.exception("a discovery job failed; it runs again on the next tick")
            self._stop.wait(self.learn_interval_s)


def train(
    window_days: Annotated[int, typer.Option(min=1, help="days of behaviour to learn from")] = 30,
    sequence_model: Annotated[
        bool | None, typer.Option(help="train SASRec too (default: XINGQU_SEQUENCE_MODEL)")
    ] = None,
    activate: Annotated[bool, typer.Option(help="make the new version current")] = True,
) -> None:
    """Train a model version on the behaviour log and publish it to the registry; running
    servers switch to it within seconds."""
    from xingqu.cli.demo import progress_bars

    settings = Settings()
    platform = build_platform(settings)
    began = time.perf_counter()
    try:
        learned = learn_exploration(platform)
        platform.refresh_statistics()
        registry = ModelRegistry(settings.resolved_models_dir)
        training = training_settings(
            settings,
            window_days=window_days,
            sequence_model=settings.sequence_model if sequence_model is None else sequence_model,
        )
        with progress_bars(console) as bars:
            manifest = train_and_publish(
                lambda: platform.uow(readonly=True),
                registry,
                now=platform.clock.now(),
                settings=training,
                step=rich_steps(bars),
                activate=activate,
            )
    finally:
        platform.close()
    console.print(
        f"Exploration bandit: {learned.impressions} impressions learned from "
        f"({learned.rewarded:.1f} reward)."
    )
    print_manifest(manifest)
    state = "published and current" if activate else "published (not current)"
    console.print(f"Version {manifest.version} {state} in {time.perf_counter() - began:.0f} s.")


def print_manifest(manifest: Manifest) -> None:
    table = Table(title=f"model version {manifest.version}", show_header=False)
    table.add_row("created", manifest.created_at)
    window = manifest.data_window
    table.add_row("data", f"{window.get('since')} … {window.get('until')}")
    for name, count in manifest.counts.items():
        table.add_row(name, f"{count:,}")
    for name, metric in manifest.metrics.items():
        table.add_row(name, f"{metric:.4f}")
    for name, seconds in manifest.timings_s.items():
        table.add_row(name, f"{seconds:.1f} s")
    for name, description in manifest.components.items():
        table.add_row(name, description)
    console.print(table)


@models_app.command("list")
def list_versions() -> None:
    """Every version in the registry, the current one marked."""
    registry = ModelRegistry(Settings().resolved_models_dir)
    current = registry.current()
    table = Table("version", "created", "engaged users", "ranker rows", "click AUC", "current")
    for version in registry.versions():
        m = registry.manifest(version)
        auc = m.metrics.get("ranker.click_auc")
        table.add_row(
            version,
            m.created_at,
            f"{m.counts.get('engaged_users', 0):,}",
            f"{m.counts.get('ranker_rows', 0):,}",
            "—" if auc is None else f"{auc:.3f}",
            "✓" if version == current else "",
        )
    console.print(table)


@models_app.command("show")
def show_version(version: Annotated[str, typer.Argument(help="a version id")]) -> None:
    """A version's manifest."""
    try:
        print_manifest(ModelRegistry(Settings().resolved_models_dir).manifest(version))
    except RegistryError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None


@models_app.command("activate")
def activate_version(version: Annotated[str, typer.Argument(help="a version id")]) -> None:
    """Make `version` current (a rollback when it is an older one); servers follow within
    seconds."""
    try:
        ModelRegistry(Settings().resolved_models_dir).activate(version)
    except RegistryError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    console.print(f"Version {version} is current ({datetime.now(UTC):%H:%M:%S} UTC).")

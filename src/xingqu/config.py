"""Settings from the environment (prefix ``XINGQU_``). Nothing is read at import time."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from xingqu.trade.terms import Terms


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="XINGQU_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path("var"), description="where the SQLite file, exports and models live"
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; SQLite under data_dir when unset"
    )
    event_bus_url: str = Field(
        default="outbox", description="'outbox' (in the database) or a redis:// URL"
    )
    environment: str = Field(default="development", pattern="^(development|test|production)$")
    demo_mode: bool = Field(
        default=False, description="enables one-click demo log-in; never in production"
    )
    token_ttl_hours: int = Field(default=24 * 7, ge=1, le=24 * 365)
    dispatch_interval_s: float = Field(
        default=0.5, gt=0, description="how often the server drains the outbox"
    )
    sql_echo: bool = False

    # --- trade: order timers, purchase guarantees, settlement, affiliate (docs/guarantees.md)
    trade: Terms = Field(
        default_factory=Terms,
        description="windows and amounts of the trade terms, as JSON: XINGQU_TRADE='{\"payment_window_minutes\": 15}'",
    )
    timer_interval_s: float = Field(
        default=30.0, gt=0, description="how often `xingqu worker` runs the trade timers"
    )

    # --- discovery: the feed engine's model versions (docs/discovery.md)
    models_dir: Path | None = Field(
        default=None, description="the model registry; data_dir/models when unset"
    )
    model_poll_s: float = Field(
        default=2.0, gt=0, description="how often a server checks the registry for a new version"
    )
    retrain_interval_s: float = Field(
        default=6 * 3600.0,
        ge=0,
        description="how often `xingqu worker` trains and publishes a new version (0: never)",
    )
    sequence_model: bool = Field(
        default=False, description="train SASRec in the retrieval blend (needs the sequence extra)"
    )
    retrieval_model: str = Field(
        default="blend",
        description="the model channel's estimator: blend, als, ease, transition, … "
        "(xingqu.discovery.retrieval.pipelines)",
    )
    exploration_slots: list[int] = Field(
        default=[3, 9, 15],
        description="positions (0-based) of a page that explore latent interests for a person "
        "the feed knows, as JSON: '[3, 9, 15]'; a person it barely knows gets more",
    )
    feed_channels: list[str] | None = Field(
        default=None,
        description='retrieval channels switched on, as JSON: \'["model", "interest", "trending"]\' '
        "(unset: all)",
    )

    @field_validator("exploration_slots")
    @classmethod
    def _slots(cls, slots: list[int]) -> list[int]:
        if any(p < 0 for p in slots) or len(set(slots)) != len(slots):
            raise ValueError(f"exploration slots are distinct positions 0, 1, …, not {slots}")
        return slots

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Settings:
        if self.environment == "production" and self.demo_mode:
            raise ValueError(
                "XINGQU_DEMO_MODE must not be enabled when XINGQU_ENVIRONMENT=production"
            )
        if self.environment == "production" and self.resolved_database_url.startswith(
            "sqlite:///:memory:"
        ):
            raise ValueError("an in-memory database loses everything; set XINGQU_DATABASE_URL")
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'xingqu.db').resolve()}"

    @property
    def resolved_models_dir(self) -> Path:
        return self.models_dir if self.models_dir is not None else self.data_dir / "models"

    @property
    def export_dir(self) -> Path:
        return self.data_dir / "exports"

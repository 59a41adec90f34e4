"""The simulator's ground truth and progress, kept in JSON files beside the database.

The truth (users' latent interests, merchants' latent quality, which platform ids the simulated
people have) never goes into platform tables: a later evaluation measures how well the engine
recovers it from behaviour alone. The progress file says how many days have been simulated, so
that `xingqu simulate` continues where the last run stopped, even after being killed.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from xingqu.sim.agents import Seller, Shopper

TRUTH_FILE = "sim_truth.json"
PROGRESS_FILE = "sim_progress.json"
TRUTH_VERSION = 1


@dataclass(frozen=True, slots=True)
class CategoryTruth:
    id: int
    code: str
    name_en: str
    name_zh: str
    level: int
    colour: str
    typical_price_fen: int  # 0 above the leaves


@dataclass(frozen=True, slots=True)
class UserTruth:
    user_id: int
    username: str
    display_name: str
    interests: dict[str, float]  # leaf code -> weight
    explicit: list[str]
    latent: list[str]
    price_sensitivity: float
    activity: float


@dataclass(frozen=True, slots=True)
class MerchantTruth:
    user_id: int
    shop_id: int
    username: str
    rural: bool
    quality: float
    ship_delay_days: int
    defect_rate: float
    approve_rate: float
    price_level: float


@dataclass(frozen=True, slots=True)
class CreatorTruth:
    user_id: int
    creator_id: int
    username: str
    mix: dict[str, float]
    official: bool


@dataclass
class SimTruth:
    seed: int
    size: dict[str, int]
    built_at: str
    categories: list[CategoryTruth]
    users: list[UserTruth]
    merchants: list[MerchantTruth]
    creators: list[CreatorTruth]
    demo_accounts: dict[str, int] = field(default_factory=dict)  # role -> user id
    version: int = TRUTH_VERSION

    def category_by_code(self) -> dict[str, CategoryTruth]:
        return {c.code: c for c in self.categories}

    def category_by_id(self) -> dict[int, CategoryTruth]:
        return {c.id: c for c in self.categories}

    def shoppers(self) -> list[Shopper]:
        ids = {c.code: c.id for c in self.categories}
        return [
            Shopper(
                user_id=u.user_id,
                interests={ids[code]: weight for code, weight in u.interests.items()},
                price_sensitivity=u.price_sensitivity,
                activity=u.activity,
            )
            for u in self.users
        ]

    def sellers(self) -> list[Seller]:
        return [
            Seller(
                user_id=m.user_id,
                shop_id=m.shop_id,
                quality=m.quality,
                ship_delay_days=m.ship_delay_days,
                defect_rate=m.defect_rate,
                approve_rate=m.approve_rate,
            )
            for m in self.merchants
        ]

    def save(self, data_dir: Path) -> Path:
        return write_json_atomically(data_dir / TRUTH_FILE, asdict(self))

    @classmethod
    def load(cls, data_dir: Path) -> SimTruth:
        raw = json.loads((data_dir / TRUTH_FILE).read_text(encoding="utf-8"))
        if raw.get("version") != TRUTH_VERSION:
            raise ValueError(
                f"{data_dir / TRUTH_FILE} has version {raw.get('version')}, expected {TRUTH_VERSION}"
            )
        return cls(
            seed=raw["seed"],
            size=raw["size"],
            built_at=raw["built_at"],
            categories=[CategoryTruth(**c) for c in raw["categories"]],
            users=[UserTruth(**u) for u in raw["users"]],
            merchants=[MerchantTruth(**m) for m in raw["merchants"]],
            creators=[CreatorTruth(**c) for c in raw["creators"]],
            demo_accounts={k: int(v) for k, v in raw["demo_accounts"].items()},
        )

    @staticmethod
    def exists(data_dir: Path) -> bool:
        return (data_dir / TRUTH_FILE).is_file()

    @staticmethod
    def modified_at(data_dir: Path) -> float:
        return (data_dir / TRUTH_FILE).stat().st_mtime


@dataclass
class SimProgress:
    """How far the simulation has got: `days_done` complete days, the last ending at `last_end`;
    `high_water` is the latest simulated time reached, in an unfinished day after a kill."""

    days_done: int
    last_end: str  # ISO timestamps (UTC)
    high_water: str

    @property
    def resume_from(self) -> datetime:
        return max(datetime.fromisoformat(self.last_end), datetime.fromisoformat(self.high_water))

    def save(self, data_dir: Path) -> Path:
        return write_json_atomically(data_dir / PROGRESS_FILE, asdict(self))

    @classmethod
    def load(cls, data_dir: Path) -> SimProgress | None:
        path = data_dir / PROGRESS_FILE
        if not path.is_file():
            return None
        raw = json.loads(path.read_text(encoding="utf-8"))
        last_end = str(raw["last_end"])
        return cls(int(raw["days_done"]), last_end, str(raw.get("high_water", last_end)))


def write_json_atomically(path: Path, data: Any, *, mode: int = 0o644) -> Path:
    """Write to a temporary file, then rename: a reader (or a kill) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out, ensure_ascii=False, indent=1)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(tmp, mode)
    os.replace(tmp, path)
    return path

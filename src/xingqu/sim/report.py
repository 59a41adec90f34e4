"""What a simulation run did, counted from the results of the service calls it made."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields


@dataclass
class SimulationReport:
    days: int = 0
    sessions: int = 0
    feeds_served: int = 0
    items_shown: int = 0
    behaviour_rows: int = 0  # reported by the simulated clients (the feed logs impressions itself)
    follows: int = 0
    cart_adds: int = 0
    orders_placed: int = 0
    orders_paid: int = 0
    gmv_fen: int = 0  # paid order totals
    orders_cancelled: int = 0
    orders_shipped: int = 0
    orders_delivered: int = 0
    orders_completed: int = 0
    refunds_requested: int = 0
    refunds_approved: int = 0
    refunds_rejected: int = 0
    refunded_fen: int = 0
    reviews: int = 0
    complaints: int = 0
    events_relayed: int = 0
    refused: Counter[str] = field(default_factory=Counter)  # domain error code -> how many
    seconds: float = 0.0

    def add(self, other: SimulationReport) -> None:
        for f in fields(self):
            if f.name == "refused":
                self.refused.update(other.refused)
            else:
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) pairs for a printed table."""
        out: list[tuple[str, str]] = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "refused":
                text = ", ".join(f"{code} ×{n}" for code, n in sorted(value.items())) or "none"
            elif f.name.endswith("_fen"):
                text = f"¥{value / 100:,.2f}"
            elif f.name == "seconds":
                text = f"{value:.1f}"
            else:
                text = f"{value:,}"
            out.append((f.name.replace("_fen", "").replace("_", " "), text))
        return out

    def comparable(self) -> dict[str, object]:
        """Everything but the wall time: equal for two runs of the same seed on the same world."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "seconds"}

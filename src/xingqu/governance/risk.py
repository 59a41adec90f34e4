"""Shop-risk detectors: each reads order and feedback facts and names shops to open cases about,
with the evidence. The detection functions are pure; `run_detectors` reads the facts and opens
the cases (idempotently: a re-run over the same window finds the same cases, not new ones).

- brushing by velocity: orders ÷ unique buyers ≥ 3 within any one hour (and enough orders);
- brushing rings: buyers linked by a shared device, address or payment instrument (a graph,
  connected components by union-find), whose orders concentrate on one shop;
- refund-rate and complaint spikes against the platform's own rate;
- late shipment rate; fraudulent shipping (shipped, and the parcel never scanned);
- review manipulation: reviews written by the buyers of a brushing ring.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from xingqu.catalog import queries as catalog_queries
from xingqu.governance.cases import OpenCase, open_case
from xingqu.governance.facts import Feedback, OrderFact, TradeFacts
from xingqu.governance.models import Case
from xingqu.shared.access import SYSTEM, Actor
from xingqu.store.uow import UnitOfWork

VELOCITY_WINDOW = timedelta(hours=1)
VELOCITY_RATIO = 3.0
VELOCITY_MIN_ORDERS = 6
RING_MIN_BUYERS = 3
RING_MIN_ORDERS = 6
RING_SHOP_SHARE = 0.5
SPIKE_MIN_PAID = 10
REFUND_SPIKE_FLOOR = 0.3
COMPLAINT_MIN = 5
COMPLAINT_RATE = 0.1
LATE_MIN_DUE = 10
LATE_RATE = 0.3
FAKE_SHIPPING_HOURS = 48
FAKE_SHIPPING_PER_DAY = 3
PAID_STATUSES = frozenset({"paid", "shipped", "delivered", "completed", "refunded"})
_ADDRESS_NOISE = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class Suspicion:
    shop_id: int
    kind: str
    reason_code: str
    severity: str
    summary: str
    evidence: dict[str, Any]
    product_ids: list[int] = field(default_factory=list)
    dedupe_key: str = ""

    def command(self) -> OpenCase:
        return OpenCase(
            shop_id=self.shop_id,
            kind=self.kind,
            reason_code=self.reason_code,
            severity=self.severity,
            summary=self.summary,
            evidence=self.evidence,
            product_ids=self.product_ids,
            dedupe_key=self.dedupe_key,
        )


# --- brushing -----------------------------------------------------------------------------------


def brushing_by_velocity(
    orders: Iterable[OrderFact],
    *,
    window: timedelta = VELOCITY_WINDOW,
    ratio: float = VELOCITY_RATIO,
    min_orders: int = VELOCITY_MIN_ORDERS,
) -> list[Suspicion]:
    """Shops with a one-hour window where orders ÷ unique buyers ≥ `ratio` (and ≥ `min_orders`
    orders); the evidence names the buyers with the largest share."""
    out = []
    for shop_id, shop_orders in sorted(_by_shop(orders).items()):
        best: tuple[float, int, int] | None = None  # (ratio, start index, end index)
        start = 0
        for end in range(len(shop_orders)):
            while shop_orders[end].placed_at - shop_orders[start].placed_at >= window:
                start += 1
            span = shop_orders[start : end + 1]
            buyers = len({o.buyer_id for o in span})
            if len(span) >= min_orders and len(span) / buyers >= ratio:
                score = len(span) / buyers
                if best is None or score > best[0]:
                    best = (score, start, end)
        if best is None:
            continue
        score, start, end = best
        span = shop_orders[start : end + 1]
        counts = Counter(o.buyer_id for o in span)
        first = span[0].placed_at
        out.append(
            Suspicion(
                shop_id=shop_id,
                kind="brushing",
                reason_code="brushing.order_velocity",
                severity="high",
                summary=(
                    f"{len(span)} orders from {len(counts)} buyers within one hour "
                    f"(ratio {score:.1f} ≥ {ratio:g})"
                ),
                evidence={
                    "window_start": first.isoformat(),
                    "window_end": span[-1].placed_at.isoformat(),
                    "orders": len(span),
                    "unique_buyers": len(counts),
                    "ratio": round(score, 2),
                    "top_buyers": [
                        {"buyer_id": b, "orders": n, "share": round(n / len(span), 2)}
                        for b, n in counts.most_common(5)
                    ],
                    "order_ids": [o.order_id for o in span],
                },
                product_ids=sorted({p for o in span for p in o.product_ids}),
                dedupe_key=f"brushing.order_velocity:{shop_id}:{first:%Y%m%d%H}",
            )
        )
    return out


class _Links:
    """Union-find over buyers, joined by the identifiers they share."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self.shared: dict[int, set[str]] = defaultdict(set)

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def identifiers(order: OrderFact) -> list[str]:
    out = []
    if order.device_id:
        out.append(f"device:{order.device_id}")
    if order.instrument:
        out.append(f"instrument:{order.instrument}")
    address = _ADDRESS_NOISE.sub("", order.address.lower())
    if address:
        out.append(f"address:{address}")
    return out


def linked_buyers(orders: Iterable[OrderFact]) -> dict[int, tuple[set[int], set[str]]]:
    """Connected components of the buyer graph (edges: a shared device, address or payment
    instrument) with two or more buyers: root → (buyers, the identifiers shared by ≥ 2 buyers)."""
    links = _Links()
    holders: dict[str, set[int]] = defaultdict(set)
    for order in orders:
        links.find(order.buyer_id)
        for ident in identifiers(order):
            holders[ident].add(order.buyer_id)
    for buyers in holders.values():
        if len(buyers) > 1:
            first, *rest = sorted(buyers)
            for other in rest:
                links.union(first, other)
    components: dict[int, tuple[set[int], set[str]]] = {}
    for ident, buyers in holders.items():
        if len(buyers) > 1:
            root = links.find(next(iter(buyers)))
            members, shared = components.setdefault(root, (set(), set()))
            members.update(buyers)
            shared.add(ident)
    return components


def brushing_rings(
    orders: list[OrderFact],
    *,
    min_buyers: int = RING_MIN_BUYERS,
    min_orders: int = RING_MIN_ORDERS,
    shop_share: float = RING_SHOP_SHARE,
) -> list[Suspicion]:
    """Groups of ≥ `min_buyers` linked buyers whose orders (≥ `min_orders`) mostly go to one shop."""
    out = []
    for members, shared in linked_buyers(orders).values():
        if len(members) < min_buyers:
            continue
        ring_orders = [o for o in orders if o.buyer_id in members]
        by_shop = _by_shop(ring_orders)
        for shop_id, shop_orders in sorted(by_shop.items()):
            if len(shop_orders) < min_orders or len(shop_orders) / len(ring_orders) < shop_share:
                continue
            buyers = sorted(members)
            digest = hashlib.sha256(repr(buyers).encode()).hexdigest()[:12]
            out.append(
                Suspicion(
                    shop_id=shop_id,
                    kind="brushing",
                    reason_code="brushing.linked_buyers",
                    severity="high",
                    summary=(
                        f"{len(shop_orders)} orders from {len(members)} buyers who share "
                        f"{len(shared)} device, address or payment identifiers"
                    ),
                    evidence={
                        "buyers": buyers,
                        "shared_identifiers": sorted(shared),
                        "orders": len(shop_orders),
                        "order_ids": [o.order_id for o in shop_orders],
                        "share_of_ring_orders": round(len(shop_orders) / len(ring_orders), 2),
                    },
                    product_ids=sorted({p for o in shop_orders for p in o.product_ids}),
                    dedupe_key=f"brushing.linked_buyers:{shop_id}:{digest}",
                )
            )
    return out


# --- service signals ------------------------------------------------------------------------------


def refund_spikes(orders: list[OrderFact], *, period: str) -> list[Suspicion]:
    """Shops whose refunded share of paid orders is ≥ 30% and ≥ 3× the platform's."""
    paid = [o for o in orders if o.paid_at is not None]
    if not paid:
        return []
    platform_rate = sum(1 for o in paid if o.refunded_fen > 0) / len(paid)
    threshold = max(REFUND_SPIKE_FLOOR, 3 * platform_rate)
    out = []
    for shop_id, shop_orders in sorted(_by_shop(paid).items()):
        refunded = [o for o in shop_orders if o.refunded_fen > 0]
        rate = len(refunded) / len(shop_orders)
        if len(shop_orders) >= SPIKE_MIN_PAID and rate >= threshold:
            out.append(
                Suspicion(
                    shop_id,
                    "refund_spike",
                    "service.refund_spike",
                    "medium",
                    f"{len(refunded)} of {len(shop_orders)} paid orders refunded ({rate:.0%}; "
                    f"platform {platform_rate:.0%})",
                    {
                        "paid": len(shop_orders),
                        "refunded": len(refunded),
                        "rate": round(rate, 3),
                        "platform_rate": round(platform_rate, 3),
                        "order_ids": [o.order_id for o in refunded],
                    },
                    dedupe_key=f"service.refund_spike:{shop_id}:{period}",
                )
            )
    return out


def complaint_spikes(
    orders: list[OrderFact], feedback: list[Feedback], shops: dict[int, int], *, period: str
) -> list[Suspicion]:
    """Shops with ≥ 5 complaints about their products and ≥ 10% complaints per paid order."""
    paid = Counter(o.shop_id for o in orders if o.paid_at is not None)
    complaints: dict[int, list[Feedback]] = defaultdict(list)
    for f in feedback:
        if f.action == "complaint" and f.product_id in shops:
            complaints[shops[f.product_id]].append(f)
    out = []
    for shop_id, items in sorted(complaints.items()):
        rate = len(items) / max(paid[shop_id], 1)
        if len(items) >= COMPLAINT_MIN and rate >= COMPLAINT_RATE:
            out.append(
                Suspicion(
                    shop_id,
                    "complaint_spike",
                    "service.complaint_spike",
                    "low",
                    f"{len(items)} complaints for {paid[shop_id]} paid orders",
                    {
                        "complaints": len(items),
                        "paid": paid[shop_id],
                        "rate": round(rate, 3),
                        "product_ids": sorted({f.product_id for f in items}),
                    },
                    product_ids=sorted({f.product_id for f in items}),
                    dedupe_key=f"service.complaint_spike:{shop_id}:{period}",
                )
            )
    return out


def late_shipments(orders: list[OrderFact], now: datetime, *, period: str) -> list[Suspicion]:
    """Shops that shipped ≥ 30% of the orders due (≥ 10) after their ship-by time."""
    due = [o for o in orders if o.ship_by is not None and o.ship_by < now]
    out = []
    for shop_id, shop_orders in sorted(_by_shop(due).items()):
        late = [
            o
            for o in shop_orders
            if o.ship_by is not None
            and (o.shipped_at is None or o.shipped_at > o.ship_by)
            and o.status != "cancelled"
        ]
        rate = len(late) / len(shop_orders)
        if len(shop_orders) >= LATE_MIN_DUE and rate >= LATE_RATE:
            out.append(
                Suspicion(
                    shop_id,
                    "late_shipment",
                    "fulfilment.late_shipment",
                    "medium",
                    f"{len(late)} of {len(shop_orders)} orders shipped late ({rate:.0%})",
                    {
                        "due": len(shop_orders),
                        "late": len(late),
                        "rate": round(rate, 3),
                        "order_ids": [o.order_id for o in late],
                    },
                    dedupe_key=f"fulfilment.late_shipment:{shop_id}:{period}",
                )
            )
    return out


def fake_shipping(orders: list[OrderFact], now: datetime) -> list[Suspicion]:
    """Shops with ≥ 3 orders shipped on one day whose parcel was never scanned within 48 hours
    (the platform's rule: three in a day is a violation)."""
    stale: dict[tuple[int, str], list[OrderFact]] = defaultdict(list)
    for o in orders:
        if (
            o.shipped_at is not None
            and o.delivered_at is None
            and o.tracking_scans == 0
            and now - o.shipped_at > timedelta(hours=FAKE_SHIPPING_HOURS)
        ):
            stale[(o.shop_id, f"{o.shipped_at:%Y-%m-%d}")].append(o)
    out = []
    for (shop_id, day), items in sorted(stale.items()):
        if len(items) >= FAKE_SHIPPING_PER_DAY:
            out.append(
                Suspicion(
                    shop_id,
                    "fake_shipping",
                    "fulfilment.fake_shipping",
                    "high",
                    f"{len(items)} parcels shipped on {day} never scanned by the carrier",
                    {"day": day, "order_ids": [o.order_id for o in items]},
                    product_ids=sorted({p for o in items for p in o.product_ids}),
                    dedupe_key=f"fulfilment.fake_shipping:{shop_id}:{day}",
                )
            )
    return out


def review_manipulation(
    rings: list[Suspicion], feedback: list[Feedback], shops: dict[int, int]
) -> list[Suspicion]:
    """Reviews of a shop's products written by the buyers of a brushing ring on that shop."""
    out = []
    for ring in rings:
        buyers = set(ring.evidence.get("buyers", []))
        reviews = [
            f
            for f in feedback
            if f.action == "review"
            and f.user_id in buyers
            and shops.get(f.product_id) == ring.shop_id
        ]
        if reviews:
            out.append(
                Suspicion(
                    ring.shop_id,
                    "review_manipulation",
                    "reviews.manipulation",
                    "high",
                    f"{len(reviews)} reviews written by {len({r.user_id for r in reviews})} "
                    "linked buyers",
                    {
                        "reviews": [
                            {
                                "user_id": r.user_id,
                                "product_id": r.product_id,
                                "stars": r.stars,
                                "at": r.at.isoformat(),
                            }
                            for r in reviews
                        ],
                        "ring": ring.dedupe_key,
                    },
                    product_ids=sorted({r.product_id for r in reviews}),
                    dedupe_key=f"reviews.manipulation:{ring.dedupe_key}",
                )
            )
    return out


def _by_shop(orders: Iterable[OrderFact]) -> dict[int, list[OrderFact]]:
    out: dict[int, list[OrderFact]] = defaultdict(list)
    for o in orders:
        out[o.shop_id].append(o)
    for items in out.values():
        items.sort(key=lambda o: (o.placed_at, o.order_id))
    return out


# --- the use case ------------------------------------------------------------------------------


DETECTORS = (
    "brushing_velocity",
    "brushing_rings",
    "refund_spike",
    "complaint_spike",
    "late_shipment",
    "fake_shipping",
    "review_manipulation",
)


def detect(
    uows: Callable[..., UnitOfWork],
    since: datetime,
    until: datetime,
    *,
    detectors: Iterable[str] = DETECTORS,
) -> list[Suspicion]:
    """Run the detectors over orders placed in [since, until) (read-only)."""
    wanted = set(detectors)
    with uows(readonly=True) as uow:
        facts = TradeFacts(uow)
        orders = [o for o in facts.orders(since, until)]
        feedback = facts.feedback(since, until)
        shops = catalog_queries.product_shops(uow, {f.product_id for f in feedback})
    period = f"{since:%Y%m%d%H}-{until:%Y%m%d%H}"
    found: list[Suspicion] = []
    if "brushing_velocity" in wanted:
        found += brushing_by_velocity(orders)
    rings = brushing_rings(orders)
    if "brushing_rings" in wanted:
        found += rings
    if "refund_spike" in wanted:
        found += refund_spikes(orders, period=period)
    if "complaint_spike" in wanted:
        found += complaint_spikes(orders, feedback, shops, period=period)
    if "late_shipment" in wanted:
        found += late_shipments(orders, until, period=period)
    if "fake_shipping" in wanted:
        found += fake_shipping(orders, until)
    if "review_manipulation" in wanted:
        found += review_manipulation(rings, feedback, shops)
    return found


def run_detectors(
    uows: Callable[..., UnitOfWork],
    since: datetime,
    until: datetime,
    *,
    actor: Actor = SYSTEM,
    detectors: Iterable[str] = DETECTORS,
) -> list[Case]:
    """Detect, then open one case per suspicion (a known one is returned, not opened again)."""
    cases = []
    for suspicion in detect(uows, since, until, detectors=detectors):
        cases.append(open_case(uows(), actor, suspicion.command()))
    return cases

"""A money workload run as a real subprocess by the books crash test.

Usage: python -m tests.e2e.books_workload DATABASE_URL ACK_FILE SEED START_ISO

It loops forever over the buyers, SKUs and content it finds, on a manual clock that starts at
START_ISO and moves forward an hour a step: place (sometimes from a creator's content) and pay,
ship, deliver, confirm, ask for partial and full refunds, decide them, run the timers (payment
expiry, compensation, auto-approval, settlement), pay out. After each commit it appends an
acknowledgement line to ACK_FILE and fsyncs it, so the test knows what was committed before it
sends SIGKILL.
"""

from __future__ import annotations

import os
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from xingqu.aftersales import services as aftersales
from xingqu.aftersales.models import AftersalesRequest
from xingqu.bootstrap import build_platform
from xingqu.catalog.models import Sku
from xingqu.config import Settings
from xingqu.content.models import ContentItem
from xingqu.identity.models import User
from xingqu.ledger import services as ledger
from xingqu.ledger.rules import Account
from xingqu.shared.access import Role
from xingqu.shared.clock import ManualClock
from xingqu.shared.errors import DomainError
from xingqu.trade import services as trade
from xingqu.trade.models import Order


def main(url: str, ack_path: str, seed: int, start: datetime) -> None:
    clock = ManualClock(start)
    platform = build_platform(
        Settings(data_dir=Path(ack_path).parent / "data", database_url=url, environment="test"),
        clock=clock,
    )
    with platform.uow(readonly=True) as uow:
        actors = [u.actor() for u in uow.session.scalars(select(User).order_by(User.id))]
        sku_ids = list(uow.session.scalars(select(Sku.id).order_by(Sku.id)))
        content_ids = list(uow.session.scalars(select(ContentItem.id).order_by(ContentItem.id)))
    buyers = [a for a in actors if a.has(Role.CONSUMER) and not a.has(Role.CREATOR)]
    merchant = next(a for a in actors if a.has(Role.MERCHANT))
    ops = next(a for a in actors if a.is_operator)
    rng = random.Random(seed)
    ack = open(ack_path, "a", buffering=1)  # noqa: SIM115 - kept open for the process's life

    def acknowledge(line: str) -> None:
        ack.write(line + "\n")
        ack.flush()
        os.fsync(ack.fileno())

    step = 0
    while True:
        step += 1
        clock.advance(timedelta(hours=1))
        key = f"b{seed}-{step}"
        action = rng.choice(
            ["buy", "buy", "ship", "deliver", "confirm", "ask", "decide", "timers", "payout"]
        )
        try:
            if action == "buy":
                buyer = rng.choice(buyers)
                content = rng.choice([None, *content_ids])
                order = trade.place_order(
                    platform.uow(),
                    buyer,
                    trade.PlaceOrder([trade.OrderLineSpec(rng.choice(sku_ids), 1, content)], key),
                )
                acknowledge(f"placed {order.id}")
                if rng.random() < 0.9:
                    payment = trade.pay_order(
                        platform.uow(), buyer, order.id, f"pay-{key}", payments=platform.payments
                    )
                    acknowledge(f"paid {order.id} {payment.amount_fen}")
            elif action in ("ship", "deliver", "confirm", "ask"):
                wanted = {
                    "ship": "paid",
                    "deliver": "shipped",
                    "confirm": "delivered",
                    "ask": "shipped",
                }
                order = _some(platform, Order, Order.status == wanted[action], rng)
                if order is None:
                    continue
                if action == "ship":
                    trade.ship_order(platform.uow(), merchant, order.id, "SF", f"SF{order.id}")
                elif action == "deliver":
                    trade.record_tracking(platform.uow(), ops, order.id, "delivered")
                elif action == "confirm":
                    trade.confirm_receipt(platform.uow(), _buyer(actors, order.buyer_id), order.id)
                else:
                    amount = rng.choice([100, order.total_fen // 2, order.total_fen])
                    aftersales.open_request(
                        platform.uow(),
                        _buyer(actors, order.buyer_id),
                        aftersales.OpenRequest(order.id, "refund_only", "quality", amount, key),
                        payments=platform.payments,
                    )
                acknowledge(f"{action} {order.id}")
            elif action == "decide":
                request = _some(
                    platform, AftersalesRequest, AftersalesRequest.status == "requested", rng
                )
                if request is None:
                    continue
                if rng.random() < 0.7:
                    aftersales.approve_request(
                        platform.uow(), merchant, request.id, payments=platform.payments
                    )
                else:
                    aftersales.reject_request(platform.uow(), merchant, request.id, "no")
                acknowledge(f"decided {request.order_id} {request.id}")
            elif action == "timers":
                clock.advance(timedelta(days=rng.choice([1, 3, 8])))
                changed = platform.run_timers()
                acknowledge(f"timers {sum(changed.values())}")
            else:
                shop = next(iter(_shops(platform)), None)
                if shop is not None:
                    ledger.pay_out(platform.uow(), ops, Account.MERCHANT_PAYABLES, shop, key)
                    acknowledge(f"payout {shop}")
        except DomainError:
            continue  # refused (out of stock, nothing to pay out...): try something else
        if step % 10 == 0:
            platform.drain_events()


def _some(platform, model, where, rng):  # type: ignore[no-untyped-def]
    with platform.uow(readonly=True) as uow:
        rows = list(uow.session.scalars(select(model).where(where).order_by(model.id).limit(50)))
    return rng.choice(rows) if rows else None


def _buyer(actors, user_id):  # type: ignore[no-untyped-def]
    return next(a for a in actors if a.user_id == user_id)


def _shops(platform):  # type: ignore[no-untyped-def]
    from xingqu.catalog.models import Shop

    with platform.uow(readonly=True) as uow:
        return list(uow.session.scalars(select(Shop.id).order_by(Shop.id)))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), datetime.fromisoformat(sys.argv[4]))

"""A buying workload run as a real subprocess by the crash-recovery test.

Usage: python -m tests.e2e.crash_workload DATABASE_URL ACK_FILE SEED

It loops forever over the consumers and SKUs it finds: place an order, pay it, sometimes cancel an
unpaid one or ask for and get a refund. After each commit it appends an acknowledgement line to
ACK_FILE and fsyncs it, so the test knows what was committed before it sends SIGKILL.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

from sqlalchemy import select

from xingqu.aftersales import services as aftersales
from xingqu.bootstrap import build_platform
from xingqu.catalog.models import Shop, Sku
from xingqu.config import Settings
from xingqu.identity.models import User
from xingqu.shared.access import Role
from xingqu.shared.errors import DomainError
from xingqu.trade import services as trade


def main(url: str, ack_path: str, seed: int) -> None:
    platform = build_platform(
        Settings(data_dir=Path(ack_path).parent / "data", database_url=url, environment="test")
    )
    with platform.uow(readonly=True) as uow:
        users = list(uow.session.scalars(select(User).order_by(User.id)))
        sku_ids = list(uow.session.scalars(select(Sku.id).order_by(Sku.id)))
        owners = {
            shop_id: owner
            for shop_id, owner in uow.session.execute(select(Shop.id, Shop.merchant_id))
        }
    buyers = [u.actor() for u in users if u.actor().has(Role.CONSUMER)]
    merchant = next(u.actor() for u in users if u.actor().has(Role.MERCHANT))
    assert owners, "the test creates one shop"
    rng = random.Random(seed)
    ack = open(ack_path, "a", buffering=1)  # noqa: SIM115 - kept open for the process's life

    def acknowledge(line: str) -> None:
        ack.write(line + "\n")
        ack.flush()
        os.fsync(ack.fileno())

    step = 0
    while True:
        step += 1
        buyer = rng.choice(buyers)
        key = f"crash-{seed}-{step}"
        try:
            order = trade.place_order(
                platform.uow(),
                buyer,
                trade.PlaceOrder(
                    lines=[trade.OrderLineSpec(rng.choice(sku_ids), rng.randint(1, 2))],
                    idempotency_key=key,
                ),
            )
        except DomainError:
            continue  # out of stock: try another SKU
        acknowledge(f"placed {order.id}")
        if rng.random() < 0.2:
            trade.cancel_order(platform.uow(), buyer, order.id)
            acknowledge(f"cancelled {order.id}")
            continue
        payment = trade.pay_order(
            platform.uow(), buyer, order.id, f"pay-{key}", payments=platform.payments
        )
        acknowledge(f"paid {order.id} {payment.id}")
        if rng.random() < 0.2:
            refund = aftersales.open_request(
                platform.uow(),
                buyer,
                aftersales.OpenRequest(
                    order.id, "refund_only", "changed_mind", order.total_fen, f"refund-{key}"
                ),
                payments=platform.payments,
            )
            aftersales.approve_request(
                platform.uow(), merchant, refund.id, payments=platform.payments
            )
            acknowledge(f"refunded {order.id} {refund.id}")
        if step % 10 == 0:
            platform.drain_events()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))

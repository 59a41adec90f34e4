"""The invariants under concurrency: many workers act on the same orders at once — buyers asking
for refunds, merchants deciding, operators ruling and cancelling, the timers settling and
auto-approving, payouts — and afterwards the books balance and reconcile, nothing is refunded
twice or beyond what was paid, stock is right and no refunded order pays commission.

On PostgreSQL the workers really overlap (row locks order them); on SQLite they queue on the
database lock. Both must end in the same kind of consistent state.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from tests import factories
from tests.affiliate.scenario import promoted
from tests.ledger.invariants import violations
from xingqu.aftersales import services as aftersales
from xingqu.aftersales.models import AftersalesRequest
from xingqu.bootstrap import Platform
from xingqu.ledger import services as ledger
from xingqu.ledger.rules import Account
from xingqu.shared.clock import ManualClock
from xingqu.shared.errors import DomainError
from xingqu.trade import services as trade
from xingqu.trade.models import Order

pytestmark = pytest.mark.slow

WORKERS = 8
STEPS = 25


def test_many_workers_on_the_same_orders_keep_every_invariant(
    any_platform: Platform, clock: ManualClock
) -> None:
    # given twelve orders of one promoted product in every state from paid to completed
    p = any_platform
    deal = promoted(p, price_fen=9_900, stock=100, rate_bp=2_500)
    ops = factories.operator(p)
    buyers = [factories.consumer(p) for _ in range(4)]
    orders: list[tuple[int, object]] = []
    for n in range(12):
        buyer = buyers[n % 4]
        cmd = trade.PlaceOrder(
            [trade.OrderLineSpec(deal.item.sku_id, 1 + n % 2, deal.content_id)], f"o{n}"
        )
        order = trade.place_order(p.uow(), buyer, cmd)
        trade.pay_order(p.uow(), buyer, order.id, f"p{n}", payments=p.payments)
        if n % 4 >= 1:
            trade.ship_order(p.uow(), deal.item.merchant, order.id, "SF", f"S{n}")
        if n % 4 >= 2:
            trade.record_tracking(p.uow(), ops, order.id, "delivered")
        if n % 4 == 3:
            trade.confirm_receipt(p.uow(), buyer, order.id)
        orders.append((order.id, buyer))
    # and time has moved on: auto-approval and settlement are due while the workers act
    clock.advance(timedelta(days=16))
    unexpected: list[BaseException] = []
    start = threading.Barrier(WORKERS)

    def work(worker: int) -> int:
        rng = random.Random(worker)
        start.wait()
        done = 0
        for step in range(STEPS):
            order_id, buyer = rng.choice(orders)
            action = rng.choice(
                [
                    "ask",
                    "ask",
                    "approve",
                    "reject",
                    "escalate",
                    "rule",
                    "cancel",
                    "timers",
                    "payout",
                ]
            )
            try:
                _act(p, action, order_id, buyer, deal, ops, rng, f"w{worker}-{step}")
                done += 1
            except DomainError:
                pass  # refused: another worker got there first, or the state forbids it
            except Exception as exc:  # a deadlock or a constraint breach would land here
                unexpected.append(exc)
        return done

    # when eight workers act on the same twelve orders at once
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        done = sum(pool.map(work, range(WORKERS)))
    p.run_timers()
    # then nothing unexpected happened and every invariant holds
    assert unexpected == []
    assert done > WORKERS * STEPS // 4
    assert violations(p, {deal.item.sku_id: 100}) == []
    with p.uow(readonly=True) as uow:
        statuses = {o.status for o in uow.session.query(Order)}
        executed = uow.session.query(AftersalesRequest).filter_by(status="executed").count()
    assert executed > 0
    assert statuses & {"refunded", "completed"}


def _act(p, action, order_id, buyer, deal, ops, rng, key):  # type: ignore[no-untyped-def]
    merchant = deal.item.merchant
    request_id = _some_request(p, order_id, rng)
    if action == "ask":
        amount = rng.choice([100, 1_000, 5_000, 9_900])
        aftersales.open_request(
            p.uow(),
            buyer,
            aftersales.OpenRequest(order_id, "refund_only", "quality", amount, key),
            payments=p.payments,
        )
    elif action == "approve" and request_id is not None:
        aftersales.approve_request(p.uow(), merchant, request_id, payments=p.payments)
    elif action == "reject" and request_id is not None:
        aftersales.reject_request(p.uow(), merchant, request_id, "no")
    elif action == "escalate" and request_id is not None:
        aftersales.escalate_request(p.uow(), buyer, request_id, "please")
    elif action == "rule" and request_id is not None:
        aftersales.rule_on_escalation(
            p.uow(), ops, request_id, uphold=rng.random() < 0.5, note="ruled", payments=p.payments
        )
    elif action == "cancel":
        trade.cancel_order(p.uow(), ops, order_id, "fraud", payments=p.payments)
    elif action == "timers":
        p.run_timers()
    elif action == "payout":
        account, owner = rng.choice(
            [
                (Account.MERCHANT_PAYABLES, deal.item.shop_id),
                (Account.CREATOR_COMMISSIONS, deal.creator_id),
            ]
        )
        ledger.pay_out(p.uow(), ops, account, owner, key)


def _some_request(p: Platform, order_id: int, rng: random.Random) -> int | None:
    with p.uow(readonly=True) as uow:
        ids = [r.id for r in uow.session.query(AftersalesRequest).filter_by(order_id=order_id)]
    return rng.choice(ids) if ids else None

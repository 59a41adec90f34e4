"""The invariants every workload must keep, checked from the database after any step (shared by
the property-based, concurrency and crash tests):

- the ledger balances and every account reconciles with orders, coupons, claims and payouts
  (`ledger.audit.check_books`);
- no order is refunded more than it was paid;
- stock is never negative, and equals the initial stock less the units of orders that still hold
  them (not cancelled, not refunded in full before shipping);
- commission is never paid on an order refunded in full or cancelled.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import text

from xingqu.bootstrap import Platform
from xingqu.ledger.audit import check_books


def violations(p: Platform, initial_stock: dict[int, int]) -> list[str]:
    problems = list(check_books(p.uow(readonly=True)).problems)
    with p.engine.connect() as conn:
        for order_id, paid, refunded in conn.execute(
            text(
                "SELECT order_id, amount_fen, refunded_fen FROM payments WHERE refunded_fen > amount_fen"
            )
        ):
            problems.append(f"order {order_id} refunded {refunded} of {paid}")
        held: Counter[int] = Counter()
        for sku_id, quantity, released in conn.execute(
            text(
                "SELECT l.sku_id, l.quantity, o.stock_released FROM order_lines l "
                "JOIN orders o ON o.id = l.order_id"
            )
        ):
            if not released:
                held[sku_id] += quantity
        for sku_id, stock in conn.execute(text("SELECT id, stock FROM skus")):
            if stock < 0:
                problems.append(f"SKU {sku_id} has negative stock {stock}")
            if sku_id in initial_stock and stock != initial_stock[sku_id] - held[sku_id]:
                problems.append(
                    f"SKU {sku_id}: stock {stock}, expected {initial_stock[sku_id]} − {held[sku_id]}"
                )
        for order_id, status, net in conn.execute(
            text(
                "SELECT o.id, o.status, SUM(c.net_fen) FROM commissions c "
                "JOIN orders o ON o.id = c.order_id "
                "WHERE o.status IN ('refunded', 'cancelled') GROUP BY o.id, o.status"
            )
        ):
            if net:
                problems.append(f"order {order_id} is {status} but pays {net} fen commission")
    return problems

"""The books' audit (`xingqu ledger check`): proves that the ledger balances and that every
account reconciles with the facts the other contexts keep.

Balance:
- every entry's lines sum to zero, and so does the whole ledger;
- every line is in its entry's currency.

Reconciliation, order by order (from trade's payments, settlement stamps and refunds):
- the `buyer_payments` debit on an order equals what was paid for it, and unpaid orders have no
  lines;
- the `refunds` credits on an order equal what was refunded on it, never more than was paid;
- an unsettled order's escrow holds exactly paid − refunded; a settled order's escrow is empty,
  and what left it (merchant, platform fees, creators) equals paid − refunded;
- the `creator_commissions` credits on an order equal the commission affiliate holds for it, and
  an order refunded in full holds none.

And account by account:
- each buyer's `compensation` account holds the coupons trade issued to them;
- `insurance` holds the return-shipping claims after-sales paid;
- `payouts` holds every payout plus every insurance claim.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from xingqu.affiliate import queries as affiliate_queries
from xingqu.aftersales import queries as aftersales_queries
from xingqu.ledger.models import LedgerEntry, LedgerLine, Payout
from xingqu.ledger.rules import Account, EntryKind
from xingqu.store.uow import UnitOfWork
from xingqu.trade import queries as trade_queries

SETTLED_TO = (Account.MERCHANT_PAYABLES, Account.PLATFORM_FEES, Account.CREATOR_COMMISSIONS)


@dataclass
class Audit:
    entries: int = 0
    lines: int = 0
    orders: int = 0
    settled_orders: int = 0
    problems: list[str] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    """account → debits minus credits over all owners."""

    @property
    def ok(self) -> bool:
        return not self.problems


def check_books(uow: UnitOfWork, *, max_problems: int = 200) -> Audit:
    """Audit the whole ledger in one read-only transaction."""
    with uow:
        audit = Audit()
        s = uow.session
        audit.entries = s.scalar(select(func.count()).select_from(LedgerEntry)) or 0
        audit.lines = s.scalar(select(func.count()).select_from(LedgerLine)) or 0
        problems: list[str] = []
        for entry_id, total in s.execute(
            select(LedgerLine.entry_id, func.sum(LedgerLine.amount_fen))
            .group_by(LedgerLine.entry_id)
            .having(func.sum(LedgerLine.amount_fen) != 0)
        ):
            problems.append(f"entry {entry_id} does not balance: {int(total)} fen")
        for line_id, entry_id in s.execute(
            select(LedgerLine.id, LedgerEntry.id)
            .join(LedgerEntry, LedgerEntry.id == LedgerLine.entry_id)
            .where(LedgerLine.currency != LedgerEntry.currency)
        ):
            problems.append(f"line {line_id} is not in the currency of entry {entry_id}")
        audit.totals = {
            account: int(total)
            for account, total in s.execute(
                select(LedgerLine.account, func.sum(LedgerLine.amount_fen)).group_by(
                    LedgerLine.account
                )
            )
        }
        if sum(audit.totals.values()) != 0:
            problems.append(f"the ledger does not balance: {sum(audit.totals.values())} fen")
        problems += _orders(uow, audit)
        problems += _accounts(uow, audit)
        audit.problems = problems[:max_problems]
        if len(problems) > max_problems:
            audit.problems.append(f"... and {len(problems) - max_problems} more")
        return audit


def _orders(uow: UnitOfWork, audit: Audit) -> list[str]:
    s = uow.session
    per_order: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for order_id, account, kind, total in s.execute(
        select(
            LedgerLine.order_id,
            LedgerLine.account,
            LedgerEntry.kind,
            func.sum(LedgerLine.amount_fen),
        )
        .join(LedgerEntry, LedgerEntry.id == LedgerLine.entry_id)
        .where(LedgerLine.order_id.is_not(None))
        .group_by(LedgerLine.order_id, LedgerLine.account, LedgerEntry.kind)
    ):
        if order_id is None:
            continue
        book = per_order[int(order_id)]
        book[account] += int(total)
        if account in SETTLED_TO and kind in (EntryKind.SETTLEMENT, EntryKind.REFUND):
            book["settled_to"] += int(total)
    commission = affiliate_queries.commission_by_order(uow)
    problems = []
    facts = trade_queries.order_money_facts(uow)
    paid_orders = {f.order_id for f in facts}
    for f in facts:
        audit.orders += 1
        audit.settled_orders += int(f.settled)
        book = per_order.get(f.order_id, {})
        tag = f"order {f.order_id}"
        if book.get(Account.BUYER_PAYMENTS, 0) != f.paid_fen:
            problems.append(
                f"{tag}: paid {f.paid_fen} fen, the ledger took in "
                f"{book.get(Account.BUYER_PAYMENTS, 0)}"
            )
        if -book.get(Account.REFUNDS, 0) != f.refunded_fen or f.refunded_fen > f.paid_fen:
            problems.append(
                f"{tag}: refunded {f.refunded_fen} fen of {f.paid_fen}, the ledger gave back "
                f"{-book.get(Account.REFUNDS, 0)}"
            )
        escrow = -book.get(Account.ORDER_ESCROW, 0)
        net = f.paid_fen - f.refunded_fen
        if escrow != (0 if f.settled else net):
            problems.append(
                f"{tag}: escrow holds {escrow} fen ({'settled' if f.settled else 'unsettled'}, net {net})"
            )
        if f.settled and -book.get("settled_to", 0) != net:
            problems.append(
                f"{tag}: settled {-book.get('settled_to', 0)} fen to merchant, fees and "
                f"creators, net is {net}"
            )
        held = -book.get(Account.CREATOR_COMMISSIONS, 0)
        if held != commission.get(f.order_id, 0):
            problems.append(
                f"{tag}: the ledger owes creators {held} fen, the commission records "
                f"{commission.get(f.order_id, 0)}"
            )
        if f.status == "refunded" and (held or commission.get(f.order_id, 0)):
            problems.append(f"{tag}: refunded in full but still pays commission")
    for order_id in sorted(set(per_order) - paid_orders):
        book = per_order[order_id]
        if any(book.get(a, 0) for a in (Account.BUYER_PAYMENTS, Account.ORDER_ESCROW)):
            problems.append(f"order {order_id} was never paid but has payment lines")
    return problems


def _accounts(uow: UnitOfWork, audit: Audit) -> list[str]:
    s = uow.session
    problems = []
    coupons = trade_queries.coupons_by_buyer(uow)
    held = {
        owner: -int(total)
        for owner, total in s.execute(
            select(LedgerLine.owner_id, func.sum(LedgerLine.amount_fen))
            .where(LedgerLine.account == Account.COMPENSATION)
            .group_by(LedgerLine.owner_id)
        )
    }
    for buyer in sorted(set(coupons) | set(held)):
        if coupons.get(buyer, 0) != held.get(buyer, 0):
            problems.append(
                f"buyer {buyer}: coupons worth {coupons.get(buyer, 0)} fen, the compensation "
                f"account holds {held.get(buyer, 0)}"
            )
    claims = sum(aftersales_queries.insurance_paid(uow).values())
    if audit.totals.get(Account.INSURANCE, 0) != claims:
        problems.append(
            f"insurance claims paid {claims} fen, the insurance account "
            f"{audit.totals.get(Account.INSURANCE, 0)}"
        )
    payouts = int(s.scalar(select(func.coalesce(func.sum(Payout.amount_fen), 0))) or 0)
    if -audit.totals.get(Account.PAYOUTS, 0) != payouts + claims:
        problems.append(
            f"payouts {payouts} fen and claims {claims} fen, the payouts account "
            f"{-audit.totals.get(Account.PAYOUTS, 0)}"
        )
    return problems

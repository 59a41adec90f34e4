"""The ledger's read side: balances and settlement statements.

A statement shows one account from its owner's side: `amount_fen` is positive when the platform
owes the owner more (a credit on the account) and negative when it owes less. Merchants read their
shops' statements, creators their own, operators every one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from xingqu.catalog import services as catalog
from xingqu.content import queries as content_queries
from xingqu.ledger.errors import LedgerError
from xingqu.ledger.models import LedgerEntry, LedgerLine
from xingqu.ledger.rules import Account
from xingqu.shared.access import Actor, Role
from xingqu.shared.errors import forbidden, invalid
from xingqu.store.uow import UnitOfWork

STATEMENT_ACCOUNTS = frozenset(
    {Account.MERCHANT_PAYABLES, Account.CREATOR_COMMISSIONS, Account.COMPENSATION}
)
MAX_STATEMENT_LINES = 5_000


@dataclass(frozen=True, slots=True)
class StatementLine:
    entry_id: int
    kind: str
    reference: str
    order_id: int | None
    amount_fen: int  # + owed to the owner, − owed by the owner
    memo: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class Statement:
    account: str
    owner_id: int
    since: datetime
    until: datetime
    opening_fen: int
    closing_fen: int
    lines: list[StatementLine]
    truncated: bool


def statement(
    uow: UnitOfWork,
    actor: Actor,
    account: str,
    owner_id: int,
    since: datetime,
    until: datetime,
) -> Statement:
    """The account's movements in [since, until), with the balance before and after."""
    try:
        acct = Account(account)
    except ValueError:
        raise invalid(
            LedgerError.UNKNOWN_ACCOUNT,
            f"statements exist for {', '.join(sorted(STATEMENT_ACCOUNTS))}, not {account!r}",
        ) from None
    if acct not in STATEMENT_ACCOUNTS:
        raise invalid(LedgerError.UNKNOWN_ACCOUNT, f"{account} has no owner statements")
    if since >= until:
        raise invalid(LedgerError.INVALID_PERIOD, "a statement period ends after it starts")
    creator = None
    if acct == Account.CREATOR_COMMISSIONS and not actor.is_operator:
        actor.require(Role.CREATOR)
        creator = content_queries.creator_of_user(uow, actor.user_id)
        if creator is None or creator.id != owner_id:
            raise forbidden("this is another creator's statement")
    with uow:
        if acct == Account.MERCHANT_PAYABLES:
            catalog.require_shop_access(uow, actor, owner_id, "this is another merchant's shop")
        elif acct == Account.COMPENSATION and not actor.is_operator and actor.user_id != owner_id:
            raise forbidden("these are another buyer's coupons")
        line = LedgerLine
        where = (line.account == acct, line.owner_id == owner_id)
        s = uow.session
        opening = s.scalar(
            select(func.coalesce(func.sum(line.amount_fen), 0)).where(
                *where, line.occurred_at < since
            )
        )
        movement = s.scalar(
            select(func.coalesce(func.sum(line.amount_fen), 0)).where(
                *where, line.occurred_at >= since, line.occurred_at < until
            )
        )
        rows = s.execute(
            select(
                LedgerEntry.id,
                LedgerEntry.kind,
                LedgerEntry.reference,
                line.order_id,
                line.amount_fen,
                LedgerEntry.memo,
                line.occurred_at,
            )
            .join(LedgerEntry, LedgerEntry.id == line.entry_id)
            .where(*where, line.occurred_at >= since, line.occurred_at < until)
            .order_by(line.occurred_at, line.id)
            .limit(MAX_STATEMENT_LINES + 1)
        ).all()
        lines = [
            StatementLine(entry_id, kind, ref, order_id, -amount, memo, at)
            for entry_id, kind, ref, order_id, amount, memo, at in rows[:MAX_STATEMENT_LINES]
        ]
        opening_fen = -int(opening or 0)
        return Statement(
            account=acct,
            owner_id=owner_id,
            since=since,
            until=until,
            opening_fen=opening_fen,
            closing_fen=opening_fen - int(movement or 0),
            lines=lines,
            truncated=len(rows) > MAX_STATEMENT_LINES,
        )


def balances(uow: UnitOfWork) -> dict[tuple[str, int], int]:
    """(account, owner) → debits minus credits, for every account with lines (participant call)."""
    uow.require_active()
    rows = uow.session.execute(
        select(LedgerLine.account, LedgerLine.owner_id, func.sum(LedgerLine.amount_fen)).group_by(
            LedgerLine.account, LedgerLine.owner_id
        )
    )
    return {(account, owner): int(total) for account, owner, total in rows}


def order_balances(uow: UnitOfWork) -> dict[tuple[int, str, int], int]:
    """(order, account, owner) → debits minus credits on lines that carry an order."""
    uow.require_active()
    rows = uow.session.execute(
        select(
            LedgerLine.order_id,
            LedgerLine.account,
            LedgerLine.owner_id,
            func.sum(LedgerLine.amount_fen),
        )
        .where(LedgerLine.order_id.is_not(None))
        .group_by(LedgerLine.order_id, LedgerLine.account, LedgerLine.owner_id)
    )
    return {
        (int(order), account, owner): int(total)
        for order, account, owner, total in rows
        if order is not None
    }

"""Reading the ledger in tests: balances by account and owner, the audit."""

from __future__ import annotations

from sqlalchemy import func, select

from xingqu.bootstrap import Platform
from xingqu.ledger.audit import Audit, check_books
from xingqu.ledger.models import LedgerLine
from xingqu.ledger.rules import PLATFORM, Account


def owed(p: Platform, account: Account, owner: int = PLATFORM) -> int:
    """What the platform owes the account's owner: credits minus debits."""
    with p.uow(readonly=True) as uow:
        value = uow.session.scalar(
            select(func.coalesce(func.sum(LedgerLine.amount_fen), 0)).where(
                LedgerLine.account == account, LedgerLine.owner_id == owner
            )
        )
    return -int(value or 0)


def audit(p: Platform) -> Audit:
    return check_books(p.uow(readonly=True))


def assert_books_ok(p: Platform) -> None:
    result = audit(p)
    assert result.problems == []

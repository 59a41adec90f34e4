"""Ledger use cases: posting an entry (a participant call, inside the caller's transaction) and
paying out a merchant's or creator's balance (an operator's use case, one transaction).

A context that moves money calls `post` in the transaction that changes its own state, so the
state change and its entry are committed together or not at all. The entry's `reference` names
the cause (`payment:order:7`, `refund:re_…`) and is unique, so a retried cause never books twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from xingqu.ledger.errors import LedgerError
from xingqu.ledger.models import LedgerEntry, LedgerLine, Payout
from xingqu.ledger.rules import Account, EntryKind, Posting, balanced, credit, debit
from xingqu.shared.access import Actor, Role
from xingqu.shared.errors import conflict, invalid
from xingqu.shared.money import DEFAULT_CURRENCY
from xingqu.store.uow import UnitOfWork
from xingqu.trade.terms import DEFAULT_TERMS, Terms

PAYABLE_ACCOUNTS = frozenset({Account.MERCHANT_PAYABLES, Account.CREATOR_COMMISSIONS})


def post(
    uow: UnitOfWork,
    kind: EntryKind,
    reference: str,
    postings: Iterable[Posting],
    *,
    currency: str,
    order_id: int | None = None,
    memo: str = "",
) -> LedgerEntry | None:
    """Book a balanced entry (participant call). Returns None when every line nets to zero."""
    uow.require_active()
    lines = balanced(postings)
    if not lines:
        return None
    now = uow.clock.now()
    entry = LedgerEntry(
        kind=kind,
        reference=reference,
        order_id=order_id,
        currency=currency,
        memo=memo[:200],
        occurred_at=now,
        lines=[
            LedgerLine(
                account=p.account,
                owner_id=p.owner_id,
                order_id=order_id,
                amount_fen=p.amount_fen,
                currency=currency,
                occurred_at=now,
            )
            for p in lines
        ],
    )
    uow.session.add(entry)
    uow.flush()  # a reference booked before fails here, and the caller's transaction with it
    return entry


def balance(uow: UnitOfWork, account: Account, owner_id: int) -> int:
    """Debits minus credits of one account (participant call)."""
    uow.require_active()
    value = uow.session.scalar(
        select(func.coalesce(func.sum(LedgerLine.amount_fen), 0)).where(
            LedgerLine.account == account, LedgerLine.owner_id == owner_id
        )
    )
    return int(value or 0)


def pay_out(
    uow: UnitOfWork,
    actor: Actor,
    account: Account,
    owner_id: int,
    idempotency_key: str,
    *,
    terms: Terms = DEFAULT_TERMS,
) -> Payout:
    """An operator pays out what a shop or creator is owed (the transfer itself is the bank's).

    A creator's payout keeps back a reserve: `creator_reserve_bp` of the commission settled to
    them in the last `creator_reserve_days`. Retrying with the same key returns the first payout.
    """
    actor.require(Role.OPERATOR)
    if account not in PAYABLE_ACCOUNTS:
        raise invalid(LedgerError.UNKNOWN_ACCOUNT, f"only {', '.join(PAYABLE_ACCOUNTS)} pay out")
    if not idempotency_key or len(idempotency_key) > 64:
        raise invalid(LedgerError.INVALID_POSTING, "an idempotency key is 1–64 characters")
    try:
        with uow:
            existing = _payout_by_key(uow, idempotency_key)
            if existing is not None:
                return _same_payout(existing, account, owner_id)
            _lock_owner(uow, account, owner_id)
            owed = -balance(uow, account, owner_id)
            if account == Account.CREATOR_COMMISSIONS:
                owed -= _creator_reserve(uow, owner_id, terms)
            if owed <= 0:
                raise conflict(
                    LedgerError.NOTHING_TO_PAY_OUT,
                    f"{account} {owner_id} has nothing to pay out",
                    available_fen=max(owed, 0),
                )
            now = uow.clock.now()
            payout = Payout(
                account=account,
                owner_id=owner_id,
                amount_fen=owed,
                currency=DEFAULT_CURRENCY,
                idempotency_key=idempotency_key,
                paid_at=now,
            )
            uow.session.add(payout)
            uow.flush()
            post(
                uow,
                EntryKind.PAYOUT,
                f"payout:{payout.id}",
                [debit(account, owed, owner_id), credit(Account.PAYOUTS, owed)],
                currency=DEFAULT_CURRENCY,
                memo=f"payout to {account} {owner_id}",
            )
            uow.commit()
            return payout
    except IntegrityError as exc:
        race = exc
    with uow:
        existing = _payout_by_key(uow, idempotency_key)
        if existing is None:
            raise race
        return _same_payout(existing, account, owner_id)


def _creator_reserve(uow: UnitOfWork, creator_id: int, terms: Terms) -> int:
    since = uow.clock.now() - timedelta(days=terms.creator_reserve_days)
    settled = uow.session.scalar(
        select(func.coalesce(func.sum(-LedgerLine.amount_fen), 0))
        .join(LedgerEntry, LedgerEntry.id == LedgerLine.entry_id)
        .where(
            LedgerLine.account == Account.CREATOR_COMMISSIONS,
            LedgerLine.owner_id == creator_id,
            LedgerEntry.kind == EntryKind.SETTLEMENT,
            LedgerLine.occurred_at >= since,
        )
    )
    return max(int(settled or 0), 0) * terms.creator_reserve_bp // 10_000


def _lock_owner(uow: UnitOfWork, account: Account, owner_id: int) -> None:
    """Serialise payouts of one account: lock its newest line (PostgreSQL; SQLite is serial)."""
    uow.session.execute(
        select(LedgerLine.id)
        .where(LedgerLine.account == account, LedgerLine.owner_id == owner_id)
        .order_by(LedgerLine.id.desc())
        .limit(1)
        .with_for_update()
    )


def _payout_by_key(uow: UnitOfWork, key: str) -> Payout | None:
    return uow.session.scalar(select(Payout).where(Payout.idempotency_key == key))


def _same_payout(payout: Payout, account: Account, owner_id: int) -> Payout:
    if (payout.account, payout.owner_id) != (account, owner_id):
        raise conflict(
            LedgerError.INVALID_POSTING,
            "this idempotency key was used for another payout",
            payout_id=payout.id,
        )
    return payout

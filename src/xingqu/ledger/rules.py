"""Pure ledger rules: the chart of accounts, balanced postings and the settlement split. No I/O.

Signs: a line's amount is positive for a debit and negative for a credit, so every entry sums to
zero. Accounts are named by kind and owner (0 for the platform itself; a shop id for merchant
payables, a creator id for commissions, a buyer's user id for compensation coupons).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from xingqu.ledger.errors import LedgerError
from xingqu.shared.errors import conflict, invalid

PLATFORM = 0
"""The owner id of the platform's own accounts."""


class Account(StrEnum):
    BUYER_PAYMENTS = "buyer_payments"
    """Debit: money buyers paid through the payment provider (one line per payment)."""
    REFUNDS = "refunds"
    """Credit: money given back to buyers through the provider."""
    ORDER_ESCROW = "order_escrow"
    """Credit: paid money held for an order until it is settled (lines carry the order)."""
    MERCHANT_PAYABLES = "merchant_payables"
    """Credit: owed to a shop (owner: shop id); a debit balance is owed by the merchant."""
    CREATOR_COMMISSIONS = "creator_commissions"
    """Credit: commission owed to a creator (owner: creator id), after the platform's fee."""
    PLATFORM_FEES = "platform_fees"
    """Credit: the platform's service fees on orders and on commission."""
    COMPENSATION = "compensation"
    """Credit: compensation coupons owed to a buyer (owner: user id), funded by merchants."""
    INSURANCE = "insurance"
    """Debit: return-shipping insurance claims the platform paid."""
    PAYOUTS = "payouts"
    """Credit: money paid out of the platform: to merchants, creators and insurance claimants."""


OWNED_ACCOUNTS = frozenset(
    {Account.MERCHANT_PAYABLES, Account.CREATOR_COMMISSIONS, Account.COMPENSATION}
)
"""Accounts held per owner; the others belong to the platform (owner 0)."""


class EntryKind(StrEnum):
    PAYMENT = "payment"
    REFUND = "refund"
    SETTLEMENT = "settlement"
    COMPENSATION = "compensation"
    INSURANCE_CLAIM = "insurance_claim"
    PAYOUT = "payout"


@dataclass(frozen=True, slots=True)
class Posting:
    account: Account
    owner_id: int
    amount_fen: int  # + debit, − credit


def debit(account: Account, amount_fen: int, owner_id: int = PLATFORM) -> Posting:
    return Posting(account, owner_id, amount_fen)


def credit(account: Account, amount_fen: int, owner_id: int = PLATFORM) -> Posting:
    return Posting(account, owner_id, -amount_fen)


def balanced(postings: Iterable[Posting]) -> list[Posting]:
    """The postings merged per account and owner, zero lines dropped; refused unless they sum to 0.

    Platform accounts must have owner 0, owned accounts a positive owner."""
    merged: dict[tuple[Account, int], int] = defaultdict(int)
    for p in postings:
        if type(p.amount_fen) is not int:
            raise invalid(LedgerError.INVALID_POSTING, f"amounts are integer fen, got {p!r}")
        owned = p.account in OWNED_ACCOUNTS
        if (owned and p.owner_id <= 0) or (not owned and p.owner_id != PLATFORM):
            raise invalid(LedgerError.INVALID_POSTING, f"wrong owner for {p.account}: {p!r}")
        merged[(p.account, p.owner_id)] += p.amount_fen
    lines = [Posting(a, o, amount) for (a, o), amount in sorted(merged.items()) if amount != 0]
    total = sum(p.amount_fen for p in lines)
    if total != 0:
        raise conflict(
            LedgerError.UNBALANCED_ENTRY,
            f"an entry must balance; debits minus credits are {total} fen",
            total_fen=total,
        )
    return lines


# --- the settlement split ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CommissionTerms:
    """One attributed order line: its price, the plan's rate and the platform's fee on it."""

    commission_id: int
    creator_id: int
    line_total_fen: int
    rate_bp: int
    fee_bp: int


@dataclass(frozen=True, slots=True)
class CommissionShare:
    commission_id: int
    creator_id: int
    base_fen: int
    gross_fen: int  # base × rate
    fee_fen: int  # the platform's service fee on it
    net_fen: int  # what the creator is owed
    fee_bp: int  # the fee's rate


@dataclass(frozen=True, slots=True)
class Split:
    """Who gets what of an order's net amount (paid − refunded). The parts add up to `net_fen`."""

    net_fen: int
    merchant_fen: int
    merchant_fee_fen: int
    commissions: tuple[CommissionShare, ...]

    @property
    def platform_fen(self) -> int:
        return self.merchant_fee_fen + sum(c.fee_fen for c in self.commissions)

    def creators(self) -> dict[int, int]:
        out: dict[int, int] = defaultdict(int)
        for c in self.commissions:
            out[c.creator_id] += c.net_fen
        return dict(out)


def split_settlement(
    paid_fen: int, net_fen: int, merchant_fee_bp: int, lines: Sequence[CommissionTerms]
) -> Split:
    """Share `net_fen` of an order paid `paid_fen` between merchant, platform and creators.

    Each attributed line's commission base is its share of the net, rounded down; commission and
    fees are rounded down; the merchant gets the rest. Commission and fees never grow when the
    net shrinks (a refund never raises a creator's commission; the merchant's rest may move by a
    rounding fen), and a net of 0 gives everyone 0: no commission is ever paid on a refunded
    order.
    """
    if not 0 <= net_fen <= paid_fen:
        raise invalid(LedgerError.INVALID_POSTING, f"net {net_fen} is outside 0..{paid_fen}")
    shares = []
    for line in lines:
        base = net_fen * line.line_total_fen // paid_fen if paid_fen else 0
        gross = base * line.rate_bp // 10_000
        fee = gross * line.fee_bp // 10_000
        shares.append(
            CommissionShare(
                line.commission_id, line.creator_id, base, gross, fee, gross - fee, line.fee_bp
            )
        )
    merchant_fee = net_fen * merchant_fee_bp // 10_000
    merchant = net_fen - merchant_fee - sum(s.gross_fen for s in shares)
    return Split(net_fen, merchant, merchant_fee, tuple(shares))


def settlement_postings(split: Split, shop_id: int) -> list[Posting]:
    """Escrow released to the merchant, the platform and the creators."""
    postings = [
        debit(Account.ORDER_ESCROW, split.net_fen),
        credit(Account.MERCHANT_PAYABLES, split.merchant_fen, shop_id),
        credit(Account.PLATFORM_FEES, split.platform_fen),
    ]
    postings += [
        credit(Account.CREATOR_COMMISSIONS, amount, creator_id)
        for creator_id, amount in split.creators().items()
    ]
    return postings


def adjustment_postings(before: Split, after: Split, shop_id: int) -> list[Posting]:
    """A refund of a settled order: each party gives back what its share shrank by."""
    refund = before.net_fen - after.net_fen
    postings = [
        debit(Account.MERCHANT_PAYABLES, before.merchant_fen - after.merchant_fen, shop_id),
        debit(Account.PLATFORM_FEES, before.platform_fen - after.platform_fen),
        credit(Account.REFUNDS, refund),
    ]
    after_creators = after.creators()
    postings += [
        debit(Account.CREATOR_COMMISSIONS, amount - after_creators.get(creator_id, 0), creator_id)
        for creator_id, amount in before.creators().items()
    ]
    return postings

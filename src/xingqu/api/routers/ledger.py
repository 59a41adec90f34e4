"""Settlement statements and payouts. `POST /ledger/payouts` needs an `Idempotency-Key`."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status

from xingqu.api.deps import CurrentActor, IdempotencyKey, PlatformDep
from xingqu.api.schemas import ERRORS, Public, Strict
from xingqu.ledger import queries, services
from xingqu.ledger.rules import Account

router = APIRouter(prefix="/ledger", tags=["ledger"], responses=ERRORS)  # type: ignore[arg-type]


class StatementLinePublic(Public):
    entry_id: int
    kind: str
    reference: str
    order_id: int | None
    amount_fen: int
    memo: str
    occurred_at: datetime


class StatementPublic(Public):
    account: str
    owner_id: int
    since: datetime
    until: datetime
    opening_fen: int
    closing_fen: int
    lines: list[StatementLinePublic]
    truncated: bool


class PayoutCreate(Strict):
    account: Account
    owner_id: int


class PayoutPublic(Public):
    id: int
    account: str
    owner_id: int
    amount_fen: int
    currency: str
    paid_at: datetime


@router.get("/statements/{account}/{owner_id}")
def statement(
    account: str,
    owner_id: int,
    since: datetime,
    until: datetime,
    actor: CurrentActor,
    platform: PlatformDep,
) -> StatementPublic:
    """A shop's payable (its merchant), a creator's commission (the creator) or a buyer's
    compensation (the buyer) over [since, until): opening and closing balance, every movement.
    Positive amounts are owed to the owner."""
    result = queries.statement(platform.uow(readonly=True), actor, account, owner_id, since, until)
    return StatementPublic.model_validate(result)


@router.post("/payouts", status_code=status.HTTP_201_CREATED)
def pay_out(
    body: PayoutCreate, key: IdempotencyKey, actor: CurrentActor, platform: PlatformDep
) -> PayoutPublic:
    """An operator pays a shop or a creator what it is owed (a creator's keeps a reserve)."""
    payout = services.pay_out(
        platform.uow(), actor, body.account, body.owner_id, key, terms=platform.settings.trade
    )
    return PayoutPublic.model_validate(payout)

"""After-sales test set-up through the real services (shared by the after-sales tests)."""

from __future__ import annotations

from sqlalchemy import select

from tests import factories
from tests.trade import scenario
from tests.trade.scenario import Listing, listing
from xingqu.aftersales import services
from xingqu.aftersales.models import AftersalesRequest
from xingqu.bootstrap import Platform
from xingqu.shared.access import Actor
from xingqu.trade.models import Payment


def ask(
    p: Platform,
    buyer: Actor,
    order_id: int,
    amount_fen: int,
    key: str | None = None,
    *,
    kind: str = "refund_only",
    reason: str = "quality",
    description: str = "",
) -> AftersalesRequest:
    cmd = services.OpenRequest(
        order_id, kind, reason, amount_fen, key or scenario.key(), description
    )
    return services.open_request(p.uow(), buyer, cmd, payments=p.payments, terms=p.settings.trade)


def approve(p: Platform, actor: Actor, request_id: int) -> AftersalesRequest:
    return services.approve_request(
        p.uow(), actor, request_id, payments=p.payments, terms=p.settings.trade
    )


def shipped_order(p: Platform, price_fen: int = 10_000) -> tuple[Listing, Actor, int]:
    """A shipped order of one unit (refund-only requests on it go to the merchant)."""
    item = listing(p, price_fen=price_fen)
    buyer = factories.consumer(p)
    return item, buyer, scenario.shipped(p, buyer, item).id


def refunded_fen(p: Platform, order_id: int) -> int:
    with p.uow(readonly=True) as uow:
        value = uow.session.scalar(select(Payment.refunded_fen).where(Payment.order_id == order_id))
    assert value is not None
    return value


def request_status(p: Platform, request_id: int) -> str:
    with p.uow(readonly=True) as uow:
        value = uow.session.scalar(
            select(AftersalesRequest.status).where(AftersalesRequest.id == request_id)
        )
    assert value is not None
    return value

"""After-sales read side. A missing request is `aftersales.refund_not_found`, someone else's is
`shared.forbidden`."""

from __future__ import annotations

from xingqu.aftersales.errors import AftersalesError
from xingqu.aftersales.models import RefundRequest
from xingqu.aftersales.rules import RefundStatus
from xingqu.catalog import queries as catalog_queries
from xingqu.catalog import services as catalog
from xingqu.shared.access import Actor, Role
from xingqu.shared.errors import forbidden, invalid, not_found
from xingqu.shared.paging import Page, PageRequest
from xingqu.store.paging import fetch_page
from xingqu.store.uow import UnitOfWork


def get_refund(uow: UnitOfWork, actor: Actor, refund_id: int) -> RefundRequest:
    """The request, for its buyer, the shop's merchant or an operator."""
    with uow:
        refund = uow.session.get(RefundRequest, refund_id)
        if refund is None:
            raise not_found(AftersalesError.REFUND_NOT_FOUND, "refund request", refund_id)
        if not (
            actor.is_operator
            or refund.buyer_id == actor.user_id
            or catalog.owns_shop(uow, actor, refund.shop_id)
        ):
            raise forbidden("this refund request is neither yours nor your shop's")
        return refund


def list_refunds(
    uow: UnitOfWork,
    actor: Actor,
    page: PageRequest,
    *,
    as_merchant: bool = False,
    status: str | None = None,
) -> Page[RefundRequest]:
    """The actor's own requests, or with `as_merchant` those on the actor's shops; newest first."""
    where = []
    if status is not None:
        try:
            where.append(RefundRequest.status == RefundStatus(status))
        except ValueError:
            raise invalid(
                AftersalesError.INVALID_FILTER,
                f"unknown refund status {status!r}; use one of {', '.join(RefundStatus)}",
            ) from None
    if as_merchant:
        actor.require(Role.MERCHANT)
        shop_ids = [shop.id for shop in catalog_queries.shops_of_user(uow, actor.user_id)]
        where.append(RefundRequest.shop_id.in_(shop_ids))
    else:
        where.append(RefundRequest.buyer_id == actor.user_id)
    with uow:
        s = uow.session
        return fetch_page(s, RefundRequest, where, [RefundRequest.id.desc()], page)

from tests import factories
from xingqu.bootstrap import Platform
from xingqu.catalog import services as catalog
from xingqu.insight.queries import Figures, marketplace_figures
from xingqu.trade import services as trade


def test_marketplace_figures_count_each_context(platform: Platform) -> None:
    # given two products (one delisted), one paid order and one unpaid order
    owner, shop_id = factories.merchant(platform)
    on_sale = factories.product(platform, owner, shop_id, price_fen=2_500, stock=5)
    delisted = factories.product(platform, owner, shop_id)
    catalog.delist_product(platform.uow(), owner, delisted.id)
    buyer = factories.consumer(platform)
    sku = on_sale.skus[0].id
    paid = trade.place_order(
        platform.uow(), buyer, trade.PlaceOrder([trade.OrderLineSpec(sku, 2)], "k1")
    )
    trade.pay_order(platform.uow(), buyer, paid.id, "p1", payments=platform.payments)
    trade.place_order(platform.uow(), buyer, trade.PlaceOrder([trade.OrderLineSpec(sku, 1)], "k2"))
    # when / then
    assert marketplace_figures(platform.uow(readonly=True)) == Figures(
        users=2, products=1, content=0, orders=2, gmv_fen=5_000, refunded_fen=0
    )

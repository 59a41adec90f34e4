"""Trade: the cart, orders, payments (provider port + a local fake), shipment and delivery."""

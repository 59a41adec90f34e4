"""After-sales: refunds (first cut); returns, guarantees, compensation and tickets come next."""

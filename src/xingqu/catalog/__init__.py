"""Catalog: merchants, shops, products, SKUs and stock, the category tree, programme tags."""

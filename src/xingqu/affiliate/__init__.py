"""The affiliate programme (精选联盟): merchants' commission plans, creators' selections, the
attribution of orders to the content that led to them, and the commission records that trade's
settlement books."""

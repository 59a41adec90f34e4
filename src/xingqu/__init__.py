"""Xingqu (兴趣): an interest e-commerce engine."""

__version__ = "0.1.0"

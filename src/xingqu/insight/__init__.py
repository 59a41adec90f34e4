"""Insight: marketplace figures now; quality-GMV and governance metrics and reports next."""

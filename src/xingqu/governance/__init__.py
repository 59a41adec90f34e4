"""Governance: listing review before listings go live, shop risk, cases, sanctions, appeals, the
audit log, merchant and creator scores, and the published governance figures."""

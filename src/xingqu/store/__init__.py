"""Storage: engines, the unit of work, the outbox and migrations."""

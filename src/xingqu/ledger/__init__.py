"""The double-entry ledger: every money movement of the platform as a balanced entry, written in
the same transaction as the state change that caused it; statements; the books' audit."""

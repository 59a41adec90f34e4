from enum import StrEnum


class LedgerError(StrEnum):
    UNBALANCED_ENTRY = "ledger.unbalanced_entry"
    INVALID_POSTING = "ledger.invalid_posting"
    UNKNOWN_ACCOUNT = "ledger.unknown_account"
    INVALID_PERIOD = "ledger.invalid_period"
    ACCOUNT_OWNER_NOT_FOUND = "ledger.account_owner_not_found"
    NOTHING_TO_PAY_OUT = "ledger.nothing_to_pay_out"

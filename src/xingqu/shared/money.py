"""Money as an integer number of minor units (fen) with a currency. Never a float."""

from __future__ import annotations

from dataclasses import dataclass

from xingqu.shared.errors import DomainError, SharedError

DEFAULT_CURRENCY = "CNY"


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An amount in minor units (1 CNY = 100 fen)."""

    amount: int
    currency: str = DEFAULT_CURRENCY

    def __post_init__(self) -> None:
        if type(self.amount) is not int:
            raise DomainError(
                SharedError.INVALID_MONEY,
                f"amount must be an integer number of minor units, got {self.amount!r}",
            )
        if len(self.currency) != 3 or not self.currency.isupper():
            raise DomainError(
                SharedError.INVALID_MONEY,
                f"currency must be an ISO 4217 code, got {self.currency!r}",
            )

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> Money:
        return cls(0, currency)

    def _check_same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise DomainError(
                SharedError.CURRENCY_MISMATCH,
                f"cannot combine {self.currency} with {other.currency}",
            )

    def __add__(self, other: Money) -> Money:
        self._check_same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check_same(other)
        return Money(self.amount - other.amount, self.currency)

    def times(self, quantity: int) -> Money:
        return Money(self.amount * quantity, self.currency)

    def share(self, numerator: int, denominator: int) -> Money:
        """`self × numerator / denominator`, rounded half up to the fen (for non-negative amounts)."""
        if denominator <= 0:
            raise DomainError(SharedError.INVALID_MONEY, "denominator must be positive")
        return Money(
            (self.amount * numerator * 2 + denominator) // (2 * denominator), self.currency
        )

    @property
    def is_negative(self) -> bool:
        return self.amount < 0

    def __str__(self) -> str:
        sign = "-" if self.amount < 0 else ""
        units, cents = divmod(abs(self.amount), 100)
        return f"{sign}{units}.{cents:02d} {self.currency}"

"""The payment-provider port, and a local fake provider for the demo, the simulator and tests."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Protocol

from xingqu.shared.errors import DomainError, ErrorKind
from xingqu.shared.money import Money
from xingqu.trade.errors import TradeError


@dataclass(frozen=True, slots=True)
class ProviderCharge:
    reference: str
    amount: Money
    instrument: str | None = None
    """A fingerprint of the payment instrument (card, wallet) the provider charged; the same
    instrument always gives the same fingerprint. None when the provider reports none."""


@dataclass(frozen=True, slots=True)
class ProviderRefund:
    reference: str
    charge_reference: str
    amount: Money


class PaymentProvider(Protocol):
    """A payment service. Both calls are idempotent on `idempotency_key`: a retry returns the
    original result and never moves money twice."""

    def charge(
        self, amount: Money, idempotency_key: str, *, payer: str, instrument: str | None = None
    ) -> ProviderCharge:
        """Charge `amount` to the payer's `instrument` (their default one when None)."""
        ...

    def refund(
        self, charge_reference: str, amount: Money, idempotency_key: str
    ) -> ProviderRefund: ...


class FakePaymentProvider:
    """An in-process provider that always succeeds (unless told to fail) and counts real moves."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.charges: dict[str, ProviderCharge] = {}
        self.refunds: dict[str, ProviderRefund] = {}
        self.fail_next: str | None = None  # set to a message to make the next call fail once

    def charge(
        self, amount: Money, idempotency_key: str, *, payer: str, instrument: str | None = None
    ) -> ProviderCharge:
        """The instrument's fingerprint is derived from the explicit `instrument` when given,
        else from the payer (each payer has one default instrument), deterministically."""
        with self._lock:
            self._maybe_fail()
            if idempotency_key in self.charges:
                return self.charges[idempotency_key]
            source = f"instrument:{instrument}" if instrument else f"payer:{payer}"
            charge = ProviderCharge(
                reference=_ref("ch", idempotency_key),
                amount=amount,
                instrument=_ref("in", source),
            )
            self.charges[idempotency_key] = charge
            return charge

    def refund(self, charge_reference: str, amount: Money, idempotency_key: str) -> ProviderRefund:
        with self._lock:
            self._maybe_fail()
            if idempotency_key in self.refunds:
                return self.refunds[idempotency_key]
            charge = next(
                (c for c in self.charges.values() if c.reference == charge_reference), None
            )
            refunded = sum(
                r.amount.amount
                for r in self.refunds.values()
                if r.charge_reference == charge_reference
            )
            if charge is not None and refunded + amount.amount > charge.amount.amount:
                raise DomainError(
                    TradeError.PAYMENT_FAILED,
                    "the provider refuses to refund more than was charged",
                    ErrorKind.CONFLICT,
                )
            refund = ProviderRefund(_ref("re", idempotency_key), charge_reference, amount)
            self.refunds[idempotency_key] = refund
            return refund

    def _maybe_fail(self) -> None:
        if self.fail_next is not None:
            message, self.fail_next = self.fail_next, None
            raise DomainError(TradeError.PAYMENT_FAILED, message, ErrorKind.UNAVAILABLE)


def _ref(prefix: str, key: str) -> str:
    return f"{prefix}_{hashlib.sha256(key.encode()).hexdigest()[:24]}"

"""The account: balance, arrears, balance alert, and the ledger rows that move money."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from ..money import fmt
from ..records import LedgerRow, Recorder

if TYPE_CHECKING:
    from .phone import Phone


class Account:
    """One account's money; tells pay-per-use phones when arrears start and end."""

    def __init__(self, balance: Decimal, alert: Decimal | None, recorder: Recorder):
        self.balance = balance
        self.alert = alert
        self.rec = recorder
        # billing-rules §7.13: a negative opening balance starts in arrears, silently.
        self.in_arrears = balance < 0
        self.ppu_active: dict[str, Phone] = {}  # pay-per-use phones Running/Stopped
        self.ppu_arrears: dict[str, Phone] = {}  # pay-per-use phones Arrears/Frozen

    # --- money movements ---------------------------------------------------------------
    def charge(self, t: int, phone: str, kind: str, price: Decimal, pay_with: str,
               period: tuple[int, int] | None = None, detail: str = "") -> None:
        """Pay an order: from the balance, or online (balance untouched)."""
        if pay_with == "balance":
            self._debit(t, phone, kind, price, period, detail)
        else:
            self._row(t, phone, kind, -price, "online", period, detail)

    def settle(self, t: int, amount: Decimal, period: tuple[int, int], detail: str) -> None:
        """Deduct a bill run, even into a negative balance; may start arrears."""
        self._debit(t, "", "settlement", amount, period, detail)
        if self.balance < 0:
            if not self.in_arrears:
                self.in_arrears = True
                self.rec.note(t, "", "arrears_started",
                              detail=f"balance {fmt(self.balance)} after settlement")
            # §4 and §7.4: every accruing pay-per-use phone enters its own grace period now.
            for phone in list(self.ppu_active.values()):
                phone.enter_arrears(t)

    def credit(self, t: int, phone: str, kind: str, amount: Decimal,
               period: tuple[int, int] | None = None, detail: str = "") -> None:
        """A top-up or a refund; any credit that brings the balance to >= 0 ends arrears."""
        self.balance += amount
        self._row(t, phone, kind, amount, "balance", period, detail)
        if self.in_arrears and self.balance >= 0:
            self.in_arrears = False
            self.rec.note(t, "", "arrears_cleared", detail=f"balance {fmt(self.balance)}")
            for ppu in list(self.ppu_arrears.values()):
                ppu.recover(t)

    def can_pay(self, price: Decimal, pay_with: str) -> str | None:
        """Why a fee-generating operation is refused now, or None if it may proceed."""
        if self.in_arrears:
            return f"the account is in arrears (balance {fmt(self.balance)})"
        if pay_with == "balance" and self.balance < price:
            return f"balance {fmt(self.balance)} is below the price {fmt(price)}"
        return None

    # --- internals ---------------------------------------------------------------------
    def _debit(self, t, phone, kind, amount, period, detail) -> None:
        before = self.balance
        self.balance -= amount
        self._row(t, phone, kind, -amount, "balance", period, detail)
        if self.alert is not None and before >= self.alert > self.balance:
            self.rec.note(t, "", "balance_low",
                          detail=f"balance {fmt(self.balance)} below {fmt(self.alert)}")

    def _row(self, t, phone, kind, amount, paid_from, period, detail) -> None:
        start, end = period if period else (None, None)
        self.rec.ledger.append(LedgerRow(t, phone, kind, amount, paid_from, self.balance,
                                         start, end, detail))

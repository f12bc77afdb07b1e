"""Plain rows the engine records, one per event; tables are built from them once, at the end."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(slots=True)
class LedgerRow:
    """A money movement or an order; `amount` is signed from the account's view."""

    time: int
    phone: str
    kind: str
    amount: Decimal
    paid_from: str
    balance_after: Decimal
    period_start: int | None = None
    period_end: int | None = None
    detail: str = ""


@dataclass(slots=True)
class StateRow:
    """A phone in one state and billing mode from `start` until `end` (None = still open)."""

    phone: str
    order: int
    billing: str
    state: str
    start: int
    end: int | None = None


@dataclass(frozen=True, slots=True)
class PhoneOutcome:
    """A phone as it stands at the end of the window, with what its costs are read against."""

    id: str
    spec: str
    quantity: int
    billing: str
    final_state: str | None
    expires_at: int | None
    group: str | None = None
    order_mode: str = "monthly"  # the prepaid mode its orders are in (yearly or monthly)
    use_from: int = 0  # its usage window: from `at` to its first delete/unsubscribe action
    use_until: int = 0


@dataclass(slots=True)
class NoteRow:
    """A notification to the account holder (kinds: billing-rules §6)."""

    time: int
    phone: str
    kind: str
    days_before: int | None = None
    detail: str = ""


class Recorder:
    """Collects rows in event order; keeps each phone's open state row."""

    def __init__(self) -> None:
        self.ledger: list[LedgerRow] = []
        self.states: list[StateRow] = []
        self.notes: list[NoteRow] = []
        self._open: dict[str, StateRow] = {}

    def state(self, phone: str, order: int, billing: str, state: str, t: int) -> None:
        """Close the phone's open interval at t and open a new one, if anything changed."""
        current = self._open.get(phone)
        if current is not None:
            if current.state == state and current.billing == billing:
                return
            current.end = t  # a state held for 0 s is dropped when tables are built
        row = StateRow(phone, order, billing, state, t)
        self.states.append(row)
        self._open[phone] = row

    def note(self, t: int, phone: str, kind: str, days_before: int | None = None,
             detail: str = "") -> None:
        self.notes.append(NoteRow(t, phone, kind, days_before, detail))

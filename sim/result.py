"""What a run produced: rows and bill lines -> DataFrames, summary.json and output files.

Money stays exact: DataFrames hold `Decimal`, files hold decimal strings; times are
tz-aware in DataFrames and ISO 8601 with the zone offset in files. Tables are built
lazily, once, when first asked for.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from .clock import Clock
from .money import fmt, fmt_e8, from_e8
from .rating import HOUR, BillLines
from .records import LedgerRow, NoteRow, StateRow

OUTPUT_FILES = ("ledger.csv", "usage.csv", "states.csv", "notifications.csv", "summary.json")

LEDGER_COLUMNS = ["time", "phone", "kind", "amount", "paid_from", "balance_after",
                  "period_start", "period_end", "detail"]
USAGE_COLUMNS = ["phone", "cycle_start", "cycle_end", "seconds", "amount", "settled_at"]
STATE_COLUMNS = ["phone", "billing", "state", "start", "end"]
NOTE_COLUMNS = ["time", "phone", "kind", "days_before", "detail"]


@dataclass(frozen=True, slots=True)
class PhoneOutcome:
    """A phone as it stands at the end of the window."""

    id: str
    spec: str
    quantity: int
    billing: str
    final_state: str | None
    expires_at: int | None


class Result:
    """Outputs of one simulated scenario (see the interface contract for every column)."""

    def __init__(self, *, name: str, currency: str, clock: Clock, start: int, end: int,
                 final_balance: Decimal, ledger: list[LedgerRow], states: list[StateRow],
                 notes: list[NoteRow], lines: BillLines, settled_at: np.ndarray,
                 phones: list[PhoneOutcome], refused: int):
        self.name, self.currency, self.clock = name, currency, clock
        self.start, self.end = start, end
        self.final_balance = final_balance
        self.ledger_rows, self.state_rows, self.note_rows = ledger, states, notes
        self.lines = lines
        self.settled_at_array = settled_at  # int64 epoch, -1 where not settled in the window
        self.phones = phones
        self.refused = refused
        self.summary = self._summary()

    # --- summary -----------------------------------------------------------------------
    def phone_costs(self) -> dict[str, Decimal]:
        """Per phone: its orders - its refunds + all its bill lines, settled or not."""
        costs = {p.id: Decimal(0) for p in self.phones}
        for row in self.ledger_rows:
            if row.phone:
                costs[row.phone] -= row.amount
        if len(self.lines):
            totals = np.zeros(len(self.phones), dtype=object)
            np.add.at(totals, self.lines.phone, self.lines.amount_e8.astype(object))
            for i, phone in enumerate(self.phones):
                if totals[i]:
                    costs[phone.id] += from_e8(int(totals[i]))
        return costs

    def _summary(self) -> dict:
        costs = self.phone_costs()
        iso = self.clock.iso
        return {
            "scenario": self.name,
            "currency": self.currency,
            "timezone": self.clock.zone_name,  # plots draw the time axis in it
            "start": iso(self.start),
            "end": iso(self.end),
            "final_balance": fmt(self.final_balance),
            "total_cost": fmt(sum(costs.values(), Decimal(0))),
            "phones": {
                p.id: {
                    "billing": p.billing,
                    "final_state": p.final_state,
                    "cost": fmt(costs[p.id]),
                    "expires_at": iso(p.expires_at) if p.expires_at is not None else None,
                    "spec": p.spec,
                    "quantity": p.quantity,
                }
                for p in self.phones
            },
            "refused_operations": self.refused,
        }

    # --- DataFrames (exact: Decimal money, tz-aware times) ------------------------------
    def _times(self, values) -> pd.Series:
        series = pd.Series(values, dtype="Int64")
        return pd.to_datetime(series, unit="s", utc=True).dt.tz_convert(self.clock.zone_name)

    @cached_property
    def ledger(self) -> pd.DataFrame:
        rows = self.ledger_rows
        return pd.DataFrame({
            "time": self._times([r.time for r in rows]),
            "phone": pd.Series([r.phone for r in rows], dtype=object),
            "kind": pd.Series([r.kind for r in rows], dtype=object),
            "amount": pd.Series([r.amount for r in rows], dtype=object),
            "paid_from": pd.Series([r.paid_from for r in rows], dtype=object),
            "balance_after": pd.Series([r.balance_after for r in rows], dtype=object),
            "period_start": self._times([r.period_start for r in rows]),
            "period_end": self._times([r.period_end for r in rows]),
            "detail": pd.Series([r.detail for r in rows], dtype=object),
        }, columns=LEDGER_COLUMNS)

    @cached_property
    def usage(self) -> pd.DataFrame:
        lines = self.lines
        ids = np.array([p.id for p in self.phones] or [""], dtype=object)
        settled = self.settled_at_array
        return pd.DataFrame({
            "phone": pd.Series(ids[lines.phone] if len(lines) else [], dtype=object),
            "cycle_start": self._times(lines.cycle_start),
            "cycle_end": self._times(lines.cycle_start + HOUR),
            "seconds": pd.Series(lines.seconds, dtype="int64"),
            "amount": pd.Series([from_e8(int(a)) for a in lines.amount_e8], dtype=object),
            "settled_at": self._times(np.where(settled >= 0, settled, 0)).where(settled >= 0),
        }, columns=USAGE_COLUMNS)

    @cached_property
    def states(self) -> pd.DataFrame:
        rows = self.state_rows
        return pd.DataFrame({
            "phone": pd.Series([r.phone for r in rows], dtype=object),
            "billing": pd.Series([r.billing for r in rows], dtype=object),
            "state": pd.Series([r.state for r in rows], dtype=object),
            "start": self._times([r.start for r in rows]),
            "end": self._times([r.end for r in rows]),
        }, columns=STATE_COLUMNS)

    @cached_property
    def notifications(self) -> pd.DataFrame:
        rows = self.note_rows
        return pd.DataFrame({
            "time": self._times([r.time for r in rows]),
            "phone": pd.Series([r.phone for r in rows], dtype=object),
            "kind": pd.Series([r.kind for r in rows], dtype=object),
            "days_before": pd.Series([r.days_before for r in rows], dtype="Int64"),
            "detail": pd.Series([r.detail for r in rows], dtype=object),
        }, columns=NOTE_COLUMNS)

    # --- files -------------------------------------------------------------------------
    def write(self, out: str | os.PathLike) -> Path:
        """Write the five outputs into `out`, atomically: a failed write leaves nothing."""
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            self._write_files(tmp)
            if out.exists():
                shutil.rmtree(out)
            tmp.rename(out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return out

    def _write_files(self, folder: Path) -> None:
        iso = self.clock.iso

        def opt(t):
            return "" if t is None else iso(t)

        _write_csv(folder / "ledger.csv", LEDGER_COLUMNS, (
            (iso(r.time), r.phone, r.kind, fmt(r.amount), r.paid_from, fmt(r.balance_after),
             opt(r.period_start), opt(r.period_end), r.detail) for r in self.ledger_rows))
        _write_csv(folder / "states.csv", STATE_COLUMNS, (
            (r.phone, r.billing, r.state, iso(r.start), opt(r.end)) for r in self.state_rows))
        _write_csv(folder / "notifications.csv", NOTE_COLUMNS, (
            (iso(r.time), r.phone, r.kind, "" if r.days_before is None else r.days_before,
             r.detail) for r in self.note_rows))
        self._write_usage(folder / "usage.csv")
        with open(folder / "summary.json", "w", encoding="utf-8", newline="\n") as fh:
            json.dump(self.summary, fh, indent=2, ensure_ascii=False)
            fh.write("\n")

    def _write_usage(self, path: Path) -> None:
        lines = self.lines
        ids = [p.id for p in self.phones]
        stamp: dict[int, str] = {}  # few distinct instants: format each once

        def iso(t: int) -> str:
            text = stamp.get(t)
            if text is None:
                text = stamp[t] = self.clock.iso(t)
            return text

        rows = (
            (ids[k], iso(c), iso(c + HOUR), s, fmt_e8(a), iso(d) if d >= 0 else "")
            for k, c, s, a, d in zip(lines.phone.tolist(), lines.cycle_start.tolist(),
                                     lines.seconds.tolist(), lines.amount_e8.tolist(),
                                     self.settled_at_array.tolist())
        )
        _write_csv(path, USAGE_COLUMNS, rows)


def _write_csv(path: Path, header: list[str], rows) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)

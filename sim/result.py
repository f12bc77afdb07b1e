"""What a run produced: rows and bill lines -> DataFrames, summary.json and output files.

Money stays exact: DataFrames hold `Decimal`, files hold decimal strings; times are
tz-aware in DataFrames and ISO 8601 with the zone offset in files. Tables are built
lazily, once, when first asked for.
"""

from __future__ import annotations

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

from .atomic import UnsafeOutputFolder, replace_folder, replace_refusal
from .clock import Clock, remembered
from .gcpause import collector_paused
from .money import fmt, from_e8
from .outputs import FORMATS, USAGE_COLUMNS, write_rows, write_usage
from .rating import HOUR, BillLines
from .records import LedgerRow, NoteRow, StateRow
from .usage import NOT_SETTLED, Usage

OUTPUT_FILES = ("ledger.csv", "usage.csv", "states.csv", "notifications.csv", "summary.json")
PARQUET_FILES = tuple(name.replace(".csv", ".parquet") for name in OUTPUT_FILES)
FIGURE_STEMS = ("timeline", "money", "compare", "breakeven")  # drawn by sim.plots
FIGURE_FILES = tuple(f"{stem}.{ext}" for stem in FIGURE_STEMS for ext in ("png", "svg"))
KNOWN_FILES = frozenset(OUTPUT_FILES + PARQUET_FILES + FIGURE_FILES)
"""Every file a results folder may hold: writing replaces such a folder as a whole."""

LEDGER_COLUMNS = ["time", "phone", "kind", "amount", "paid_from", "balance_after",
                  "period_start", "period_end", "detail"]
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
                 notes: list[NoteRow], usage: Usage, phones: list[PhoneOutcome],
                 refused: int):
        self.name, self.currency, self.clock = name, currency, clock
        self.start, self.end = start, end
        self.final_balance = final_balance
        self.ledger_rows, self.state_rows, self.note_rows = ledger, states, notes
        self.usage_lines = usage  # the bill lines, made in blocks when they are needed
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
        totals = self.usage_lines.per_phone_e8
        for i in np.flatnonzero(totals).tolist():
            costs[self.phones[i].id] += from_e8(int(totals[i]))
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

    # --- bill lines (all of them in memory: only when asked) ----------------------------
    @cached_property
    def lines(self) -> BillLines:
        """Every bill line as columns, ordered by cycle, then phone."""
        return self.usage_lines.lines()

    @cached_property
    def settled_at_array(self) -> np.ndarray:
        """Per line, its settlement instant (int64 epoch), NOT_SETTLED if not in the window."""
        return self.usage_lines.settled_for(self.lines.cycle_start)

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
        done = settled != NOT_SETTLED
        # Few distinct amounts: one Decimal each, shared by the lines (Decimals are immutable).
        distinct, which = np.unique(lines.amount_e8, return_inverse=True)
        amounts = np.array([from_e8(int(a)) for a in distinct] + [None], dtype=object)[:-1]
        return pd.DataFrame({
            "phone": pd.Series(ids[lines.phone] if len(lines) else [], dtype=object),
            "cycle_start": self._times(lines.cycle_start),
            "cycle_end": self._times(lines.cycle_start + HOUR),
            "seconds": pd.Series(lines.seconds, dtype="int64"),
            "amount": pd.Series(amounts[which.reshape(-1)], dtype=object),
            "settled_at": self._times(np.where(done, settled, 0)).where(done),
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
    def write(self, out: str | os.PathLike, format: str = "csv") -> Path:
        """Write the five outputs into `out`, atomically: a failed write leaves nothing.

        `format="parquet"` writes the four tables as `.parquet` (same columns and text).
        """
        if format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
        out = Path(out)
        refusal = replace_refusal(out, KNOWN_FILES)
        if refusal is not None:  # never replace a folder that holds anything else
            raise UnsafeOutputFolder(refusal)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            with collector_paused():  # millions of short-lived rows, no cycles
                self._write_files(tmp, format)
            # Old folder aside, new one in, Ctrl-C held back: never half of either.
            replace_folder(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return out

    def _write_files(self, folder: Path, ext: str) -> None:
        iso = remembered(self.clock.iso)  # rows share few instants (midnights, run hours)

        def opt(t):
            return "" if t is None else iso(t)

        write_rows(folder / f"ledger.{ext}", LEDGER_COLUMNS, (
            (iso(r.time), r.phone, r.kind, fmt(r.amount), r.paid_from, fmt(r.balance_after),
             opt(r.period_start), opt(r.period_end), r.detail) for r in self.ledger_rows), ext)
        write_rows(folder / f"states.{ext}", STATE_COLUMNS, (
            (r.phone, r.billing, r.state, iso(r.start), opt(r.end)) for r in self.state_rows),
            ext)
        write_rows(folder / f"notifications.{ext}", NOTE_COLUMNS, (
            (iso(r.time), r.phone, r.kind, "" if r.days_before is None else r.days_before,
             r.detail) for r in self.note_rows), ext, int_columns=("days_before",))
        write_usage(folder / f"usage.{ext}", self.usage_lines, [p.id for p in self.phones],
                    iso, ext)
        with open(folder / "summary.json", "w", encoding="utf-8", newline="\n") as fh:
            json.dump(self.summary, fh, indent=2, ensure_ascii=False)
            fh.write("\n")

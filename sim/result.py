"""What a run produced: rows and bill lines -> DataFrames, summary.json and output files.

Money stays exact: DataFrames hold `Decimal`, files hold decimal strings; times are
tz-aware in DataFrames and ISO 8601 with the zone offset in files. Tables are built
lazily, once, when first asked for.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import forked, json_text
from .atomic import Claim, claimed
from .clock import Clock, remembered
from .gcpause import collector_paused
from .costs import LOST, MODES, MonthModeCosts, PhoneCosts, monthly_costs, phone_costs
from .manifest import FILES_KEY, file_entries
from .money import fmt, from_e8
from .outputs import (FORMATS, USAGE_COLUMNS, write_rows, write_typed, write_usage,
                      write_usage_daily)
from .rating import HOUR, BillLines
from .records import LedgerRow, NoteRow, PhoneOutcome, StateRow
from .usage import NOT_SETTLED, Usage

if TYPE_CHECKING:  # pandas loads only when a DataFrame is asked for (not by `run`)
    import pandas as pd

FORK_LINES = 20_000_000  # bill lines up to which the usage table is written by a child
OUTPUT_FILES = ("ledger.csv", "usage.csv", "states.csv", "notifications.csv", "costs.csv",
                "monthly.csv", "summary.json")
PARQUET_FILES = tuple(name.replace(".csv", ".parquet") for name in OUTPUT_FILES)
FIGURE_STEMS = ("timeline", "money", "compare", "breakeven", "commitment")  # drawn by sim.plots
FIGURE_FILES = tuple(f"{stem}.{ext}" for stem in FIGURE_STEMS for ext in ("png", "svg"))
TABLE_STEMS = ("costs", "monthly", "commitment")  # further tables other commands may add
REPORT_FILE = "report.html"  # written by sim.report
USAGE_DETAILS = ("hourly", "daily", "none")  # what `write` puts in the usage table
DAILY_FILES = ("usage_daily.csv", "usage_daily.parquet")  # instead of usage.* when daily
OTHER_FILES = tuple(f"{s}.{ext}" for s in TABLE_STEMS for ext in ("csv", "parquet")) + (
    REPORT_FILE, *DAILY_FILES)
KNOWN_FILES = frozenset(OUTPUT_FILES + PARQUET_FILES + FIGURE_FILES + OTHER_FILES)
"""Every file a results folder may hold: writing replaces such a folder as a whole, so a
folder holding anything else (a sub-folder, a link, another file) is refused. A new
output file of the project must be added here."""

LEDGER_COLUMNS = ["time", "phone", "kind", "amount", "paid_from", "balance_after",
                  "period_start", "period_end", "detail"]
STATE_COLUMNS = ["phone", "billing", "state", "start", "end"]
NOTE_COLUMNS = ["time", "phone", "kind", "days_before", "detail"]
COST_COLUMNS = ["phone", "billing", "group", "spec", "quantity", "cash", "accrued",
                "billable_hours", "unusable_hours", "failed_renewals", "refused_operations",
                "final_state"]
MONTHLY_COLUMNS = ["month", "billing", "cash", "accrued", "instances_in_use",
                   "instance_hours"]


def hours(seconds: int | float) -> float:
    """Seconds as hours for the files: 6 decimals at most, no float noise."""
    return round(seconds / 3600, 6) + 0.0  # + 0.0: never -0.0


def _detail_key(usage_detail: str) -> dict:
    """summary.json's `usage_detail`; hourly folders stay as before, without the key."""
    return {} if usage_detail == "hourly" else {"usage_detail": usage_detail}


class Result:
    """Outputs of one simulated scenario (see the interface contract for every column)."""

    def __init__(self, *, name: str, currency: str, clock: Clock, start: int, end: int,
                 final_balance: Decimal, ledger: list[LedgerRow], states: list[StateRow],
                 notes: list[NoteRow], usage: Usage, phones: list[PhoneOutcome],
                 refused: int, balance_alert: Decimal | None = None):
        self.name, self.currency, self.clock = name, currency, clock
        self.start, self.end = start, end
        self.final_balance = final_balance
        self.ledger_rows, self.state_rows, self.note_rows = ledger, states, notes
        self.usage_lines = usage  # the bill lines, made in blocks when they are needed
        self.phones = phones
        self.refused = refused
        self.balance_alert = balance_alert

    # Costs and the summary are made when first asked for (the files, the printed summary,
    # what-if tools), not inside simulate: its time is the engine's alone.
    @cached_property
    def costs(self) -> PhoneCosts:
        """Both views of every phone's cost (sim/costs.py: the one definition)."""
        return phone_costs(self.phones, self.ledger_rows, self.state_rows, self.note_rows,
                           self.usage_lines, self.start, self.end)

    @cached_property
    def summary(self) -> dict:
        """summary.json's content (without its `files` list)."""
        return self._summary()

    # --- summary -----------------------------------------------------------------------
    def phone_costs(self) -> dict[str, Decimal]:
        """Per phone, the cash view: its orders - its refunds + all its bill lines."""
        return dict(zip(self.costs.ids, self.costs.cash))

    def accrued_costs(self) -> dict[str, Decimal]:
        """Per phone, the accrued view: its orders spread over what they pay for."""
        return dict(zip(self.costs.ids, self.costs.accrued))

    def by_billing(self) -> dict[str, dict[str, Decimal]]:
        """Cash and accrued per billing mode: orders under their prepaid mode, bill lines
        under pay-per-use (a phone that changed mode counts in both)."""
        c = self.costs
        out = {m: {"cash": Decimal(0), "accrued": Decimal(0)} for m in MODES}
        for p, cash, accrued in zip(self.phones, c.prepaid_cash, c.prepaid_accrued):
            out[p.order_mode]["cash"] += cash
            out[p.order_mode]["accrued"] += accrued
        lines = sum((a - b for a, b in zip(c.cash, c.prepaid_cash)), Decimal(0))
        out["pay_per_use"] = {"cash": lines, "accrued": lines}
        used = {p.billing for p in self.phones}
        return {m: v for m, v in out.items() if m in used or v["cash"] or v["accrued"]}

    def by_group(self) -> dict[str, dict]:
        """Cash, accrued, phones and instances per generated group (phones without one: none)."""
        out: dict[str, dict] = {}
        for p, cash, accrued in zip(self.phones, self.costs.cash, self.costs.accrued):
            if p.group is None:
                continue
            g = out.setdefault(p.group, {"phones": 0, "instances": 0, "cash": Decimal(0),
                                         "accrued": Decimal(0)})
            g["phones"] += 1
            g["instances"] += p.quantity
            g["cash"] += cash
            g["accrued"] += accrued
        return out

    def losses(self) -> dict:
        """What the lifecycle took: failed auto-renewals, phones lost, unusable hours."""
        c = self.costs
        out = {"failed_auto_renewals": int(c.failed_renewals.sum())}
        for state in LOST:
            out[f"phones_{state.lower()}"] = int(c.ever[state].sum())
        out["unusable_hours"] = hours(int(c.unusable_seconds.sum()))
        out["refused_operations"] = self.refused
        return out

    def _summary(self) -> dict:
        c = self.costs
        iso = self.clock.iso
        return {
            "scenario": self.name,
            "currency": self.currency,
            "timezone": self.clock.zone_name,  # plots draw the time axis in it
            "start": iso(self.start),
            "end": iso(self.end),
            "final_balance": fmt(self.final_balance),
            "total_cost": fmt(sum(c.cash, Decimal(0))),
            "total_cost_accrued": fmt(sum(c.accrued, Decimal(0))),
            "phones": {
                p.id: {
                    "billing": p.billing,
                    "final_state": p.final_state,
                    "cost": fmt(c.cash[i]),
                    "expires_at": iso(p.expires_at) if p.expires_at is not None else None,
                    "spec": p.spec,
                    "quantity": p.quantity,
                    "cost_accrued": fmt(c.accrued[i]),
                    "group": p.group,
                    "billable_hours": hours(int(c.billable_seconds[i])),
                    "unusable_hours": hours(int(c.unusable_seconds[i])),
                    "failed_renewals": int(c.failed_renewals[i]),
                    "refused_operations": int(c.refused[i]),
                }
                for i, p in enumerate(self.phones)
            },
            "refused_operations": self.refused,
            "by_billing": {m: {k: fmt(v) for k, v in d.items()}
                           for m, d in self.by_billing().items()},
            "by_group": {g: {k: fmt(v) if isinstance(v, Decimal) else v for k, v in d.items()}
                         for g, d in self.by_group().items()},
            "lifecycle_losses": self.losses(),
            "balance_alert": None if self.balance_alert is None else fmt(self.balance_alert),
        }

    # --- the two views per month (sim/costs.py) -----------------------------------------
    @cached_property
    def month_costs(self) -> MonthModeCosts:
        return monthly_costs(self.phones, self.costs.orders, self.state_rows,
                             self.usage_lines, self.clock, self.start, self.end)

    def _monthly_rows(self) -> list[tuple]:
        """monthly.csv: per calendar month x billing mode, in month then mode order."""
        m = self.month_costs
        keys = set(m.cash) | set(m.accrued) | set(m.peak)
        rows = []
        for i, month in enumerate(m.months):
            for mode in MODES:
                if (i, mode) not in keys:
                    continue
                rows.append((month.label, mode, m.cash.get((i, mode), Decimal(0)),
                             m.accrued.get((i, mode), Decimal(0)), m.peak.get((i, mode), 0),
                             hours(m.instance_seconds.get((i, mode), 0))))
        return rows

    @cached_property
    def monthly(self) -> pd.DataFrame:
        """monthly.csv as a DataFrame (exact Decimal money)."""
        import pandas as pd

        rows = self._monthly_rows()
        cols = list(zip(*rows)) or [()] * len(MONTHLY_COLUMNS)
        return pd.DataFrame({
            "month": pd.Series(cols[0], dtype=object),
            "billing": pd.Series(cols[1], dtype=object),
            "cash": pd.Series(cols[2], dtype=object),
            "accrued": pd.Series(cols[3], dtype=object),
            "instances_in_use": pd.Series(cols[4], dtype="int64"),
            "instance_hours": pd.Series(cols[5], dtype="float64"),
        }, columns=MONTHLY_COLUMNS)

    def _cost_rows(self) -> list[tuple]:
        c = self.costs
        return [(p.id, p.billing, p.group or "", p.spec, p.quantity, c.cash[i], c.accrued[i],
                 hours(int(c.billable_seconds[i])), hours(int(c.unusable_seconds[i])),
                 int(c.failed_renewals[i]), int(c.refused[i]), p.final_state or "")
                for i, p in enumerate(self.phones)]

    @cached_property
    def cost_table(self) -> pd.DataFrame:
        """costs.csv as a DataFrame: one row per phone, both views (exact Decimal money)."""
        import pandas as pd

        rows = self._cost_rows()
        cols = list(zip(*rows)) or [()] * len(COST_COLUMNS)
        dtypes = {"quantity": "int64", "billable_hours": "float64",
                  "unusable_hours": "float64", "failed_renewals": "int64",
                  "refused_operations": "int64"}
        return pd.DataFrame({name: pd.Series(col, dtype=dtypes.get(name, object))
                             for name, col in zip(COST_COLUMNS, cols)}, columns=COST_COLUMNS)

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
        import pandas as pd

        series = pd.Series(values, dtype="Int64")
        return pd.to_datetime(series, unit="s", utc=True).dt.tz_convert(self.clock.zone_name)

    @cached_property
    def ledger(self) -> pd.DataFrame:
        import pandas as pd

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
        import pandas as pd

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
    def usage_daily(self) -> pd.DataFrame:
        """The bill lines summed per phone and local day, as `usage_detail="daily"` writes."""
        import pandas as pd

        from .usage_daily import DAILY_COLUMNS, all_days

        days = all_days(self.usage_lines, self.clock.day_start, self.clock.next_day_start)
        ids = np.array([p.id for p in self.phones] or [""], dtype=object)
        done = days.settled != NOT_SETTLED
        return pd.DataFrame({
            "phone": pd.Series(ids[days.phone] if len(days) else [], dtype=object),
            "day_start": self._times(days.day_start),
            "day_end": self._times(days.day_end),
            "lines": pd.Series(days.lines, dtype="int64"),
            "seconds": pd.Series(days.seconds, dtype="int64"),
            "amount": pd.Series([from_e8(int(a)) for a in days.amount_e8], dtype=object),
            "settled_at": self._times(np.where(done, days.settled, 0)).where(done),
        }, columns=DAILY_COLUMNS)

    @cached_property
    def states(self) -> pd.DataFrame:
        import pandas as pd

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
        import pandas as pd

        rows = self.note_rows
        return pd.DataFrame({
            "time": self._times([r.time for r in rows]),
            "phone": pd.Series([r.phone for r in rows], dtype=object),
            "kind": pd.Series([r.kind for r in rows], dtype=object),
            "days_before": pd.Series([r.days_before for r in rows], dtype="Int64"),
            "detail": pd.Series([r.detail for r in rows], dtype=object),
        }, columns=NOTE_COLUMNS)

    # --- files -------------------------------------------------------------------------
    def write(self, out: str | os.PathLike | Claim, format: str = "csv", *,
              durable: bool = False, also: Callable[[Path], Iterable[Path]] | None = None,
              progress: Callable[[int], None] | None = None,
              usage_detail: str = "hourly") -> Path:
        """Write OUTPUT_FILES into `out` whole: a failed or killed write leaves nothing.

        `format="parquet"` writes the tables as typed `.parquet` (same rows and values).
        `usage_detail`: "hourly" writes usage.csv (a bill line per phone and clock hour),
        "daily" usage_daily.csv instead (the lines summed per phone and local day), "none"
        neither; summary.json then says `usage_detail` (costs and totals are the same).
        `also(folder)` adds files (figures) before summary.json lists every file's size
        and SHA-256; `durable` flushes them to disk (fsync); `progress(lines)` is called
        as bill lines are written. `out` may be a folder already claimed (`claimed`).
        """
        if format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
        if usage_detail not in USAGE_DETAILS:
            raise ValueError(f"usage_detail must be one of {', '.join(USAGE_DETAILS)}, "
                             f"not {usage_detail!r}")
        extra = _detail_key(usage_detail)

        def fill(folder: Path) -> None:
            with collector_paused():  # millions of short-lived rows, no cycles
                known = self._write_files(folder, format, progress, usage_detail)
            if also is not None:
                self._write_summary(folder, extra=extra)  # what `also` (figures) reads
                also(folder)
            self._write_summary(folder, file_entries(folder, known=known), extra)

        if isinstance(out, Claim):
            return out.fill(fill, durable=durable)
        with claimed(out, KNOWN_FILES) as claim:  # locked; never replaces others' files
            return claim.fill(fill, durable=durable)

    def _write_summary(self, folder: Path, files: dict | None = None,
                       extra: dict | None = None) -> None:
        summary = {**self.summary, **extra} if extra else self.summary
        summary = summary if files is None else {**summary, FILES_KEY: files}
        with open(folder / "summary.json", "w", encoding="utf-8", newline="\n") as fh:
            fh.write(json_text.dumps(summary) + "\n")

    def _write_files(self, folder: Path, ext: str,
                     progress: Callable[[int], None] | None = None,
                     usage_detail: str = "hourly") -> dict[str, dict]:
        """Every table; returns the checksum entries of files hashed while written.

        The usage table is written by a forked child while this process writes the others,
        where forking is available (`sim/forked.py`) and the table has at most FORK_LINES
        lines; a failure or interrupt here kills the child, and the folder is discarded.
        """
        ids = [p.id for p in self.phones]
        call = None
        if usage_detail == "hourly":
            path = folder / f"usage.{ext}"
            call = (write_usage, path, self.usage_lines, ids, remembered(self.clock.iso), ext,
                    self.clock.zone_name)
        elif usage_detail == "daily":
            path = folder / f"usage_daily.{ext}"
            call = (write_usage_daily, path, self.usage_lines, ids, self.clock, ext)
        # Beside the other tables only while the usage table is small: a forked child shares
        # this process's heap copy-on-write, and at 100,000 phones (88 M lines) copying the
        # pages both then touch cost as much as the overlap saved (benchmarks/README.md).
        side = (forked.Forked(*call) if call is not None and forked.available()
                and len(self.usage_lines) <= FORK_LINES else None)
        try:
            if ext == "parquet":
                self._write_parquet(folder)
            else:
                self._write_csv(folder)
            if side is not None:
                entry = side.result(progress)
            else:
                entry = call[0](*call[1:], progress=progress) if call is not None else None
        except BaseException:
            if side is not None:
                side.cancel()
            raise
        return {} if entry is None else {path.name: entry}

    def _write_csv(self, folder: Path) -> None:
        iso = remembered(self.clock.iso)  # rows share few instants (midnights, run hours)

        def opt(t):
            return "" if t is None else iso(t)

        write_rows(folder / "ledger.csv", LEDGER_COLUMNS, (
            (iso(r.time), r.phone, r.kind, fmt(r.amount), r.paid_from, fmt(r.balance_after),
             opt(r.period_start), opt(r.period_end), r.detail) for r in self.ledger_rows))
        write_rows(folder / "states.csv", STATE_COLUMNS, (
            (r.phone, r.billing, r.state, iso(r.start), opt(r.end)) for r in self.state_rows))
        write_rows(folder / "notifications.csv", NOTE_COLUMNS, (
            (iso(r.time), r.phone, r.kind, "" if r.days_before is None else r.days_before,
             r.detail) for r in self.note_rows))
        write_rows(folder / "costs.csv", COST_COLUMNS, (
            (*r[:5], fmt(r[5]), fmt(r[6]), str(r[7]), str(r[8]), *r[9:])
            for r in self._cost_rows()))
        write_rows(folder / "monthly.csv", MONTHLY_COLUMNS, (
            (r[0], r[1], fmt(r[2]), fmt(r[3]), r[4], str(r[5]))
            for r in self._monthly_rows()))

    def _write_parquet(self, folder: Path) -> None:
        """The same rows with real types: decimal money, zoned timestamps, categories."""
        zone = self.clock.zone_name

        def columns(rows, names):
            return {name: [getattr(r, name) for r in rows] for name in names}

        def by_position(rows, names, money=()):
            # Money as the CSV writes it (`fmt`: at most 8 places), so both hold one value.
            cols = list(zip(*rows)) or [()] * len(names)
            return {name: [Decimal(fmt(v)) for v in col] if name in money else list(col)
                    for name, col in zip(names, cols)}

        write_typed(folder / "ledger.parquet", "ledger", zone,
                    columns(self.ledger_rows, LEDGER_COLUMNS))
        write_typed(folder / "states.parquet", "states", zone,
                    columns(self.state_rows, STATE_COLUMNS))
        write_typed(folder / "notifications.parquet", "notifications", zone,
                    columns(self.note_rows, NOTE_COLUMNS))
        write_typed(folder / "costs.parquet", "costs", zone,
                    by_position(self._cost_rows(), COST_COLUMNS, ("cash", "accrued")))
        write_typed(folder / "monthly.parquet", "monthly", zone,
                    by_position(self._monthly_rows(), MONTHLY_COLUMNS, ("cash", "accrued")))

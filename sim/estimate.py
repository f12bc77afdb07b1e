"""How large a run's outputs will be, from the phones' windows alone (before simulating).

Bill lines dominate (one per pay-per-use phone per clock hour, billing-rules §4), then the
ledger's settlements (one per bill run while any phone bills). A phone can bill from the
first moment it is pay-per-use (`at`, or a `change_billing`) until it is deleted or
unsubscribed, or the window ends: the estimate ignores arrears and prepaid periods in
between, so it errs on the large side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .clock import Clock
from .scenario.generate import expand
from .scenario.models import Scenario

HOUR = 3600
# Bytes per bill line, measured on written files: CSV is the id plus ~96 characters
# (three ISO instants with offsets, seconds, amount); Parquet stores repeated strings once.
CSV_LINE_BYTES = 96
PARQUET_LINE_BYTES = 4
# `--usage-detail daily`: a line per phone and local day; CSV holds the id plus ~100
# characters (three instants, lines, seconds, amount), Parquet 2.7 bytes (10,000 phones).
DAY = 86400
DAILY_CSV_LINE_BYTES = 100
DAILY_PARQUET_LINE_BYTES = 4
SETTLEMENT_BYTES = {"csv": 200, "parquet": 60}  # a ledger row with its two periods' text
BILL_RUN_HOURS = {"hourly": 1, "daily": 24, "monthly": 731}
OTHER_BYTES_PER_PHONE = 2_000  # orders, states, notifications, summary: small per phone


@dataclass(frozen=True, slots=True)
class OutputEstimate:
    """An upper estimate of a run's outputs."""

    lines: int
    bytes: int
    unit: str = "bill lines"  # what `lines` counts: "daily usage lines" at daily detail

    def __str__(self) -> str:
        return f"about {self.lines:,} {self.unit}, {human_bytes(self.bytes)}"


def human_bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def estimate_output(scenario: Scenario, fmt: str = "csv",
                    usage_detail: str = "hourly") -> OutputEstimate:
    """Usage lines and bytes a run of `scenario` writes, at most (see the module note):
    bill lines (hourly detail), daily lines (daily) or none (none)."""
    scenario = expand(scenario)  # generated phones count too (replication 0)
    epoch = Clock(scenario.timezone).epoch  # times may be naive (wall clock) or aware
    end = epoch(scenario.end)
    lines = size = 0
    first, last = end, epoch(scenario.start)  # when any phone bills by the hour
    for phone in scenario.phones:
        ppu_from = epoch(phone.at) if phone.billing == "pay_per_use" else None
        stop = end
        for at, do in sorted((epoch(a.at), a.do) for a in phone.actions):
            if do == "change_billing" and ppu_from is None:
                ppu_from = at
            if do in ("delete", "unsubscribe"):
                stop = min(stop, at)
                break
        if ppu_from is not None and ppu_from < stop:
            first, last = min(first, ppu_from), max(last, stop)
            if usage_detail == "none":
                continue
            # Partial first and last hours (one more), or days (two more: a 23 h day).
            span, more, csv_bytes, parquet_bytes = (
                (DAY, 2, DAILY_CSV_LINE_BYTES, DAILY_PARQUET_LINE_BYTES)
                if usage_detail == "daily" else
                (HOUR, 1, CSV_LINE_BYTES, PARQUET_LINE_BYTES))
            count = math.ceil((stop - ppu_from) / span) + more
            per_line = len(phone.id.encode()) + csv_bytes if fmt == "csv" else parquet_bytes
            lines += count
            size += count * per_line
    if first < last:
        runs = math.ceil((last - first) / HOUR / BILL_RUN_HOURS[scenario.policy.bill_run]) + 1
        size += runs * SETTLEMENT_BYTES.get(fmt, SETTLEMENT_BYTES["csv"])
    unit = {"daily": "daily usage lines", "none": "usage lines (none written)"}.get(
        usage_detail, "bill lines")
    return OutputEstimate(lines, size + OTHER_BYTES_PER_PHONE * len(scenario.phones), unit)

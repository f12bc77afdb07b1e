"""Typed columns of the output tables: one Arrow schema per table, for a scenario's zone.

The Parquet writer writes these types and the loader (`sim.loader`) reads CSV and Parquet
into them, so both formats give the same typed frames. Money is decimal128 with 8 places:
bill lines have 8 (billing-rules §4) and so do hourly and daily settlements, which deduct
their lines' exact sum; times are UTC instants tagged with the scenario's IANA zone, so the
local wall time (and its offset, across daylight-saving changes) is recovered from them.
"""

from __future__ import annotations

import pyarrow as pa

MONEY = pa.decimal128(38, 8)  # up to 10^30: the door caps prices at 10^12
TEXT = pa.string()
CATEGORY = pa.dictionary(pa.int32(), pa.string())
TIME_UNIT = "s"  # times are whole seconds (Parquet stores them as milliseconds)

# Known values of each category column, in a meaningful order (the contract's order);
# a value outside them (a newer version's kind) is kept, after these.
LEDGER_KINDS = ("topup", "purchase", "renewal", "auto_renewal", "refund", "settlement")
PAID_FROM = ("balance", "online")
BILLINGS = ("monthly", "yearly", "pay_per_use")
STATES = ("Creating", "Running", "Stopped", "Expired", "Arrears", "Frozen", "Released",
          "Unsubscribed", "Deleted")
NOTE_KINDS = ("expiry_alert", "expired", "frozen", "released", "auto_renewed",
              "auto_renew_failed", "arrears_started", "arrears_cleared", "balance_low",
              "operation_refused")

TABLES = ("ledger", "usage", "states", "notifications")  # a folder of the default detail
# The usage table written at each `--usage-detail` (summary.json `usage_detail`; a folder
# without that key is hourly): bill lines per clock hour, their sums per day, or none.
USAGE_TABLE = {"hourly": "usage", "daily": "usage_daily", "none": None}
COST_TABLES = ("costs", "monthly")  # both views of cost (sim/costs.py), in newer folders
CATEGORIES: dict[tuple[str, str], tuple[str, ...]] = {
    ("costs", "billing"): BILLINGS,
    ("monthly", "billing"): BILLINGS,
    ("ledger", "kind"): LEDGER_KINDS,
    ("ledger", "paid_from"): PAID_FROM,
    ("states", "billing"): BILLINGS,
    ("states", "state"): STATES,
    ("notifications", "kind"): NOTE_KINDS,
    ("usage", "phone"): (),  # the phones, in summary order (many lines, few phones)
    ("usage_daily", "phone"): (),
}

NULLABLE_INTS = {("notifications", "days_before")}  # only for expiry alerts


def schema(table: str, zone: str) -> pa.Schema:
    """The typed Arrow schema of one output table, its times in `zone`."""
    time = pa.timestamp(TIME_UNIT, tz=zone)

    def category(name: str) -> pa.DataType:
        return CATEGORY if (table, name) in CATEGORIES else TEXT

    fields = {
        "ledger": [("time", time), ("phone", TEXT), ("kind", category("kind")),
                   ("amount", MONEY), ("paid_from", category("paid_from")),
                   ("balance_after", MONEY), ("period_start", time), ("period_end", time),
                   ("detail", TEXT)],
        "usage": [("phone", category("phone")), ("cycle_start", time), ("cycle_end", time),
                  ("seconds", pa.int64()), ("amount", MONEY), ("settled_at", time)],
        "usage_daily": [("phone", category("phone")), ("day_start", time), ("day_end", time),
                        ("lines", pa.int64()), ("seconds", pa.int64()), ("amount", MONEY),
                        ("settled_at", time)],
        "states": [("phone", TEXT), ("billing", category("billing")),
                   ("state", category("state")), ("start", time), ("end", time)],
        "notifications": [("time", time), ("phone", TEXT), ("kind", category("kind")),
                          ("days_before", pa.int64()), ("detail", TEXT)],
        "costs": [("phone", TEXT), ("billing", category("billing")), ("group", TEXT),
                  ("spec", TEXT), ("quantity", pa.int64()), ("cash", MONEY),
                  ("accrued", MONEY), ("billable_hours", pa.float64()),
                  ("unusable_hours", pa.float64()), ("failed_renewals", pa.int64()),
                  ("refused_operations", pa.int64()), ("final_state", TEXT)],
        "monthly": [("month", TEXT), ("billing", category("billing")), ("cash", MONEY),
                    ("accrued", MONEY), ("instances_in_use", pa.int64()),
                    ("instance_hours", pa.float64())],
    }[table]
    return pa.schema(fields)

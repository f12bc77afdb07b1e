"""Break-even points between the three billing modes of each catalog spec, in closed form.

From list prices only (no simulation): the hours of existence per month at which
pay-per-use costs as much as a monthly or a (monthly share of a) yearly subscription, and
the months of use after which a year costs less than monthly terms.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd

from ..money import fmt, round_half_up
from ..scenario.models import Catalog
from ._files import frame, write_csv

BREAKEVEN_COLUMNS = ["spec", "monthly", "yearly", "hourly", "ppu_vs_monthly_hours",
                     "ppu_vs_yearly_hours_per_month", "yearly_vs_monthly_months"]
CURVE_COLUMNS = ["spec", "hours_per_month", "mode", "cost"]
MODES = ("monthly", "yearly", "pay_per_use")


def _ratio(a: Decimal, b: Decimal) -> Decimal | None:
    """a / b, or None when b is 0 (a free mode never breaks even)."""
    return a / b if b else None


def _specs(catalog: Catalog, spec: str | None):
    if spec is None:
        return list(catalog.specs)
    return [catalog.spec(spec)]  # KeyError names an unknown spec


def breakeven(catalog: Catalog, spec: str | None = None) -> pd.DataFrame:
    """One row per spec (or only `spec`): prices and the three break-even ratios, exact."""
    rows = []
    for s in _specs(catalog, spec):
        rows.append({
            "spec": s.id, "monthly": s.monthly, "yearly": s.yearly, "hourly": s.hourly,
            "ppu_vs_monthly_hours": _ratio(s.monthly, s.hourly),
            # One division of exact operands: a price quotient (denominator < 10**12) is
            # never within 28 digits of a rounding tie it is not, so the 2-decimal file
            # value is rounded once, exactly (§7.18); yearly / 12 / hourly would not be.
            "ppu_vs_yearly_hours_per_month": _ratio(s.yearly, 12 * s.hourly),
            "yearly_vs_monthly_months": _ratio(s.yearly, s.monthly),
        })
    return frame(rows, BREAKEVEN_COLUMNS)


def breakeven_curves(catalog: Catalog, spec: str | None = None,
                     max_hours: int = 744) -> pd.DataFrame:
    """Cost of one month by hours of existence 0..max_hours, per spec and mode (chart data).

    Monthly is flat at its price, yearly flat at a twelfth of its price, pay-per-use
    hourly x hours; 744 h = a 31-day month.
    """
    if max_hours < 0:
        raise ValueError("max_hours must be >= 0")
    rows = []
    for s in _specs(catalog, spec):
        per_month = {"monthly": s.monthly, "yearly": s.yearly / 12}
        for hours in range(max_hours + 1):
            for mode in MODES:
                cost = s.hourly * hours if mode == "pay_per_use" else per_month[mode]
                rows.append({"spec": s.id, "hours_per_month": hours, "mode": mode,
                             "cost": cost})
    return frame(rows, CURVE_COLUMNS)


def _two_places(value: Decimal | None) -> str:
    # Ratios are rounded half-up to 2 decimals in the file; the DataFrame keeps them exact.
    return "" if value is None else format(round_half_up(value, 2), "f")


def write_breakeven(table: pd.DataFrame, curves: pd.DataFrame | None, out: str | Path) -> Path:
    """Write `breakeven.csv` (and `breakeven-curves.csv` when given) into `out`."""
    out = Path(out)
    write_csv(out / "breakeven.csv", BREAKEVEN_COLUMNS, (
        (r.spec, fmt(r.monthly), fmt(r.yearly), fmt(r.hourly),
         _two_places(r.ppu_vs_monthly_hours), _two_places(r.ppu_vs_yearly_hours_per_month),
         _two_places(r.yearly_vs_monthly_months))
        for r in table.itertuples(index=False)))
    if curves is not None:
        write_csv(out / "breakeven-curves.csv", CURVE_COLUMNS, (
            (r.spec, r.hours_per_month, r.mode, fmt(r.cost))
            for r in curves.itertuples(index=False)))
    return out

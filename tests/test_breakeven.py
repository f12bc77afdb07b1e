"""breakeven: closed-form break-even points and cost curves from a catalog's list prices."""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest

from sim.scenario import default_catalog, resolve_catalog
from sim.whatif.breakeven import (BREAKEVEN_COLUMNS, breakeven, breakeven_curves,
                                  write_breakeven)


def test_default_pro_2c4g_break_even_points():
    """pro-2c4g: 45.00 monthly, 459.00 yearly, 0.10 hourly.
    45.00 / 0.10 = 450 h; 459 / 12 / 0.10 = 382.5 h per month; 459 / 45 = 10.2 months."""
    table = breakeven(default_catalog(), "pro-2c4g")
    assert list(table.columns) == BREAKEVEN_COLUMNS
    (r,) = table.itertuples(index=False)
    assert (r.spec, r.monthly, r.yearly, r.hourly) == ("pro-2c4g", Decimal("45.00"),
                                                       Decimal("459.00"), Decimal("0.10"))
    assert r.ppu_vs_monthly_hours == Decimal(450)
    assert r.ppu_vs_yearly_hours_per_month == Decimal("382.5")
    assert r.yearly_vs_monthly_months == Decimal("10.2")


def test_every_spec_of_the_catalog_in_its_order():
    catalog = default_catalog()
    assert list(breakeven(catalog).spec) == [s.id for s in catalog.specs]


def test_file_rounds_ratios_to_two_decimals_and_keeps_prices(tmp_path):
    catalog = default_catalog()
    table = breakeven(catalog)
    # basic-2c4g: 30.00 / 0.07 = 428.5714... exact in the DataFrame, 428.57 in the file
    basic = table[table.spec == "basic-2c4g"].iloc[0]
    assert basic.ppu_vs_monthly_hours == Decimal("30.00") / Decimal("0.07")
    write_breakeven(table, None, tmp_path)
    rows = list(csv.reader(open(tmp_path / "breakeven.csv", encoding="utf-8")))
    assert rows[0] == BREAKEVEN_COLUMNS
    by = {r[0]: r for r in rows[1:]}
    assert by["basic-2c4g"] == ["basic-2c4g", "30.00", "306.00", "0.07", "428.57", "364.29",
                                "10.20"]
    assert by["pro-2c4g"] == ["pro-2c4g", "45.00", "459.00", "0.10", "450.00", "382.50",
                              "10.20"]
    assert not (tmp_path / "breakeven-curves.csv").exists()


def test_a_free_mode_has_no_break_even():
    catalog = resolve_catalog({"currency": "USD", "specs": [
        {"id": "free-ppu", "edition": "basic", "vcpus": 2, "memory_gb": 4, "storage_gb": 16,
         "monthly": "30.00", "yearly": "300.00", "hourly": "0"}]})
    r = breakeven(catalog).iloc[0]
    assert r.ppu_vs_monthly_hours is None and r.ppu_vs_yearly_hours_per_month is None
    assert r.yearly_vs_monthly_months == 10


def test_curves_cross_at_the_break_even_hours(tmp_path):
    """Per month: monthly flat 45.00, yearly flat 459/12 = 38.25, pay-per-use 0.10 x h."""
    curves = breakeven_curves(default_catalog(), "pro-2c4g")
    assert list(curves.columns) == ["spec", "hours_per_month", "mode", "cost"]
    assert len(curves) == 745 * 3  # 0..744 h (a 31-day month), three modes
    cost = {(r.hours_per_month, r.mode): r.cost for r in curves.itertuples()}
    assert cost[(450, "pay_per_use")] == cost[(450, "monthly")] == Decimal("45.00")
    assert cost[(0, "yearly")] == cost[(744, "yearly")] == Decimal("38.25")
    assert cost[(382, "pay_per_use")] < Decimal("38.25") < cost[(383, "pay_per_use")]
    write_breakeven(breakeven(default_catalog(), "pro-2c4g"), curves, tmp_path)
    rows = list(csv.reader(open(tmp_path / "breakeven-curves.csv", encoding="utf-8")))
    assert rows[0] == ["spec", "hours_per_month", "mode", "cost"]
    assert rows[1:4] == [["pro-2c4g", "0", "monthly", "45.00"],
                         ["pro-2c4g", "0", "yearly", "38.25"],
                         ["pro-2c4g", "0", "pay_per_use", "0.00"]]


def test_unknown_spec_is_a_key_error():
    with pytest.raises(KeyError):
        breakeven(default_catalog(), "nope")

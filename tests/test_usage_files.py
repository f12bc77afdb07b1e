"""Bill lines made in blocks and the fast usage writers: same lines, same bytes, same totals.

The lines are checked against a plain hour-by-hour reference; the pyarrow CSV against the
csv module's output byte for byte; Parquet against the CSV cell by cell.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from benchmarks.fleet_gen import fleet_scenario
from sim import load_scenario, simulate
from sim.clock import Clock
from sim.money import fmt, fmt_e8, line_e8
from sim.outputs import _write_usage_csv_module, write_usage
from sim.usage import NOT_SETTLED, Usage

ROOT = Path(__file__).resolve().parent.parent
ZONES = ["Asia/Shanghai", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
ODD_IDS = ['a,b', 'q"x', "x\ny", "sp ace", "é-ü", " lead", "#h"]


def _random_intervals(rng, zone: str, phones: int = 40):
    """Non-overlapping billable intervals per phone, some meeting inside one hour."""
    t0 = Clock(zone).epoch(dt.datetime(2024, 3, 1))
    intervals, rates = {}, {}
    for key in rng.choice(phones * 2, size=phones, replace=False).tolist():
        t, spans = t0 + int(rng.integers(0, 86400 * 10)), []
        for _ in range(int(rng.integers(1, 5))):
            length = int(rng.choice([1, 59, 600, 3599, 3600, 3601, 7200, 86400 * 3]))
            spans.append((t, t + length))
            t += length + int(rng.choice([0, 1, 30, 5000, 86400 * 40]))
        intervals[key] = spans
        rates[key] = int(rng.choice([7_000_000, 10_000_000, 54_000_000 * 5, 1]))
    return intervals, rates


def _reference(intervals, rates, cycle_start):
    """Hour by hour, one phone at a time: pieces in one cycle summed, then rounded."""
    seconds = defaultdict(int)
    for key, spans in intervals.items():
        for s, e in spans:
            c = cycle_start(s)
            while c < e:
                seconds[(c, key)] += min(e, c + 3600) - max(s, c)
                c += 3600
    return [(key, c, sec, line_e8(rates[key], sec)) for (c, key), sec in sorted(seconds.items())]


def _rows(lines):
    return list(zip(lines.phone.tolist(), lines.cycle_start.tolist(), lines.seconds.tolist(),
                    lines.amount_e8.tolist()))


@pytest.mark.parametrize("zone", ZONES)
def test_lines_in_blocks_are_the_hour_by_hour_lines(zone):
    rng = np.random.default_rng(len(zone))
    hour_start = Clock(zone).hour_start
    for _ in range(5):
        intervals, rates = _random_intervals(rng, zone)
        usage = Usage(intervals, rates, 100, hour_start, lambda c: c + 3600)
        expected = _reference(intervals, rates, hour_start)
        assert _rows(usage.lines()) == expected
        for size in (1, 7, 1000):
            blocks = list(usage.blocks(lines_per_block=size))
            assert [row for b in blocks for row in _rows(b.lines)] == expected
            for b in blocks:
                assert b.cycles[b.which].tolist() == b.lines.cycle_start.tolist()


@pytest.mark.parametrize("zone", ZONES)
def test_totals_and_count_come_from_the_intervals_exactly(zone):
    rng = np.random.default_rng(7 + len(zone))
    intervals, rates = _random_intervals(rng, zone, phones=60)
    usage = Usage(intervals, rates, 120, Clock(zone).hour_start, lambda c: None)
    expected = defaultdict(int)
    rows = _reference(intervals, rates, Clock(zone).hour_start)
    for key, _, _, amount in rows:
        expected[key] += amount
    assert usage.count == len(rows)
    assert {k: int(v) for k, v in enumerate(usage.per_phone_e8) if v} == \
        {k: v for k, v in expected.items() if v}


def test_extreme_prices_and_small_blocks_are_written_as_the_csv_module_does(tmp_path,
                                                                            monkeypatch):
    import sim.usage
    import sim.usage_csv

    clock = Clock("Asia/Kolkata")
    rng = np.random.default_rng(11)
    intervals, rates = _random_intervals(rng, "Asia/Kolkata", phones=30)
    huge = min(rates)
    rates[huge] = 10**27  # beyond int64: exact Python integers, over many full hours
    start = intervals[huge][-1][1] + 86400
    intervals[huge].append((start + 1800, start + 3600 * 50 + 7))
    ids = [f"p{i}" for i in range(60)]
    usage = Usage(intervals, rates, 60, clock.hour_start,
                  lambda c: c + 7200 if c % 7 else None)
    # Small blocks and chunks: lines of one cycle split across both.
    monkeypatch.setattr(sim.usage, "LINES_PER_BLOCK", 97)
    monkeypatch.setattr(sim.usage_csv, "LINES_PER_CHUNK", 13)
    _same_bytes_as_the_csv_module(usage, ids, clock.iso, tmp_path)


def test_extreme_prices_stay_exact():
    hour_start = Clock("UTC").hour_start
    rate = 10**27  # far beyond int64: lines and totals are Python integers
    usage = Usage({0: [(1800, 3600 * 50 + 7)]}, {0: rate}, 1, hour_start, lambda c: None)
    rows = _reference({0: [(1800, 3600 * 50 + 7)]}, {0: rate}, hour_start)
    assert _rows(usage.lines()) == rows
    assert int(usage.per_phone_e8[0]) == sum(r[3] for r in rows)


def _fleets():
    yield "shipped-quickstart", load_scenario(ROOT / "scenarios" / "quickstart.yaml")
    yield "shipped-arrears", load_scenario(ROOT / "scenarios" / "arrears-recovery.yaml")
    for i, zone in enumerate(ZONES):
        data = fleet_scenario(40, 0.1, seed=i)
        data["timezone"] = zone
        yield f"fleet-{zone}", load_scenario(data)
    data = fleet_scenario(40, 0.1, seed=9)
    data["policy"] = {"bill_run": "daily", "settlement_delay": 0}
    yield "fleet-daily", load_scenario(data)


@pytest.mark.parametrize("name,scenario", list(_fleets()), ids=lambda v: v if isinstance(v, str) else "")
def test_fast_usage_csv_is_byte_identical_to_the_csv_module(name, scenario, tmp_path):
    result = simulate(scenario)
    ids = [p.id for p in result.phones]
    write_usage(tmp_path / "fast.csv", result.usage_lines, ids, result.clock.iso, "csv")
    _write_usage_csv_module(tmp_path / "slow.csv", result.usage_lines, ids, result.clock.iso)
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "slow.csv").read_bytes()
    with open(tmp_path / "slow.csv", newline="", encoding="utf-8") as fh:
        assert sum(1 for _ in csv.reader(fh)) == len(result.usage_lines) + 1


def _same_bytes_as_the_csv_module(usage, ids, iso, folder: Path) -> None:
    write_usage(folder / "fast.csv", usage, ids, iso, "csv")
    _write_usage_csv_module(folder / "slow.csv", usage, ids, iso)
    fast, slow = (folder / "fast.csv").read_bytes(), (folder / "slow.csv").read_bytes()
    if fast != slow:  # name the first line that differs (a whole-file diff is unreadable)
        pairs = zip(fast.splitlines(), slow.splitlines())
        line, a, b = next((n, a, b) for n, (a, b) in enumerate(pairs) if a != b)
        pytest.fail(f"line {line}: {a!r} != {b!r} (sizes {len(fast)}, {len(slow)})")


def test_ids_that_need_quoting_are_quoted_as_the_csv_module_does(tmp_path):
    data = fleet_scenario(30, 0.1, seed=3)
    for i, phone in enumerate(data["phones"]):
        phone["id"] = ODD_IDS[i % len(ODD_IDS)] + str(i)
    result = simulate(load_scenario(data))
    _same_bytes_as_the_csv_module(result.usage_lines, [p.id for p in result.phones],
                                  result.clock.iso, tmp_path)
    result.write(tmp_path / "run")
    usage = pd.read_csv(tmp_path / "run" / "usage.csv", dtype=str, keep_default_na=False)
    frame = result.usage
    assert usage["phone"].tolist() == frame["phone"].tolist()
    assert usage["amount"].tolist() == [f"{a:f}" for a in frame["amount"]]


def test_parquet_holds_the_values_of_the_csv(tmp_path):
    data = fleet_scenario(40, 0.1, seed=5)
    data["timezone"] = "America/New_York"
    result = simulate(load_scenario(data))
    result.write(tmp_path / "csv")
    result.write(tmp_path / "pq", format="parquet")
    assert sorted(p.name for p in (tmp_path / "pq").iterdir()) == [
        "costs.parquet", "ledger.parquet", "monthly.parquet", "notifications.parquet",
        "states.parquet", "summary.json", "usage.parquet"]
    csv_summary, pq_summary = (json.loads((tmp_path / f / "summary.json").read_text())
                               for f in ("csv", "pq"))
    stems = ("costs", "ledger", "monthly", "notifications", "states", "usage")
    assert set(csv_summary.pop("files")) == {f"{s}.csv" for s in stems}
    assert set(pq_summary.pop("files")) == {f"{s}.parquet" for s in stems}
    assert csv_summary == pq_summary  # the same run: only the files differ
    for stem in ("ledger", "usage", "states", "notifications", "costs", "monthly"):
        text = pd.read_csv(tmp_path / "csv" / f"{stem}.csv", dtype=str, keep_default_na=False)
        table = pq.read_table(tmp_path / "pq" / f"{stem}.parquet").to_pydict()
        assert list(table) == list(text.columns)
        assert len(text) > 0
        for column, values in table.items():
            # Typed cells written back as the CSV writes them: the same value in each cell.
            cells = [_as_csv_text(stem, v) for v in values]
            mismatches = [(i, a, b) for i, (a, b) in enumerate(zip(cells, text[column]))
                          if a != b]
            assert len(cells) == len(text) and not mismatches, (stem, column, mismatches[:3])


def _as_csv_text(stem: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        assert value.tzinfo is not None
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}" if stem == "usage" else fmt(value)
    return str(value)


def test_an_unknown_format_is_refused(tmp_path):
    result = simulate(load_scenario(ROOT / "scenarios" / "seed-ppu-within-hour.yaml"))
    with pytest.raises(ValueError, match="csv, parquet"):
        result.write(tmp_path / "run", format="xlsx")
    assert not (tmp_path / "run").exists()


def test_a_settlement_before_1970_is_written():
    data = {"name": "old", "timezone": "UTC", "start": "1960-01-01 00:00:00",
            "end": "1960-01-01 06:00:00", "account": {"balance": "10.00"},
            "phones": [{"id": "p", "spec": "pro-2c4g", "billing": "pay_per_use",
                        "at": "1960-01-01 00:30:00"}]}
    result = simulate(load_scenario(data))
    settled = result.settled_at_array
    assert settled[0] == result.lines.cycle_start[0] + 7200
    assert settled[-1] == NOT_SETTLED
    assert result.usage["settled_at"].notna().tolist() == [True] * 4 + [False] * 2
    assert fmt_e8(int(result.lines.amount_e8[0])) == "0.05000000"


def test_cli_run_writes_parquet_and_may_rerun_into_the_same_folder(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from sim.cli import cli

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    scenario = str(ROOT / "scenarios" / "quickstart.yaml")
    for fmt in ("parquet", "parquet", "csv"):
        done = runner.invoke(cli, ["run", scenario, "--out", "out", "--format", fmt])
        assert done.exit_code == 0, done.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "costs.csv", "ledger.csv", "monthly.csv", "notifications.csv", "states.csv",
        "summary.json", "usage.csv"]
    drawn = runner.invoke(cli, ["run", scenario, "--format", "parquet", "--plot"])
    assert drawn.exit_code == 0, drawn.output
    assert {"usage.parquet", "timeline.svg", "money.png"} <= \
        {p.name for p in (tmp_path / "results" / "quickstart").iterdir()}


def test_decimal_amounts_are_the_exact_lines():
    from sim.money import from_e8
    from sim.outputs import _decimal_amounts

    e8 = np.array([0, 1, -1, 5_000_000, -12_345_678_901_234, 2**62, -(2**62)], dtype=np.int64)
    assert _decimal_amounts(e8).to_pylist() == [from_e8(int(v)) for v in e8]
    wide = np.array([10**25, -(10**24)], dtype=object)  # past int64: exact Python integers
    assert _decimal_amounts(wide).to_pylist() == [from_e8(v) for v in wide]

"""`--usage-detail hourly|daily|none`: daily lines are the hourly lines' exact sums per phone
and local day (daylight-saving days included), `none` writes no usage table, and every
reader of a results folder copes with either; hourly stays what it was, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from sim import load_scenario, read_results, simulate
from sim.cli import cli
from sim.clock import Clock
from sim.estimate import estimate_output
from sim.manifest import DamagedResults
from sim.money import cents
from sim.result import OUTPUT_FILES
from sim.usage import NOT_SETTLED, Usage
from sim.usage_daily import (DAILY_COLUMNS, daily_blocks, write_daily_csv,
                             write_daily_csv_module)

ROOT = Path(__file__).resolve().parent.parent
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]
ODD_IDS = ['a,b', 'q"x', "x\ny", "sp ace", "é-ü", " lead", "#h"]


def _intervals(rng, zone: str, phones: int = 30, huge: bool = False):
    """Billable intervals around both 2024 daylight-saving changes of the northern zones,
    some meeting inside one hour, some spanning days."""
    clock = Clock(zone)
    anchors = [clock.epoch(dt.datetime(2024, 3, 30, 20)), clock.epoch(dt.datetime(2024, 10, 26, 21))]
    intervals, rates = {}, {}
    for key in rng.choice(phones * 2, size=phones, replace=False).tolist():
        t = anchors[key % 2] + int(rng.integers(0, 86400 * 2))
        spans = []
        for _ in range(int(rng.integers(1, 5))):
            length = int(rng.choice([1, 59, 600, 3599, 3600, 3601, 7200, 86400, 86400 * 3]))
            spans.append((t, t + length))
            t += length + int(rng.choice([0, 1, 30, 5000, 86400]))
        intervals[key] = spans
        rates[key] = int(rng.choice([7_000_000, 10_000_000, 54_000_000 * 5, 1]))
        if huge:
            rates[key] *= 10**15  # beyond int64 amounts: exact Python integers
    return intervals, rates


def _settled(clock: Clock, end: int):
    """Hourly bill runs an hour after each cycle, none after `end` (unsettled lines)."""
    def settled_at(cycle: int) -> int | None:
        return cycle + 7200 if cycle + 7200 <= end else None
    return settled_at


def _by_day(usage: Usage, clock: Clock):
    """The reference: every hourly line, grouped in Python by phone and local date."""
    lines = usage.lines()
    settled = usage.settled_for(lines.cycle_start)
    days = defaultdict(lambda: [0, 0, 0, []])
    for k, c, s, a, d in zip(lines.phone.tolist(), lines.cycle_start.tolist(),
                             lines.seconds.tolist(), lines.amount_e8.tolist(), settled.tolist()):
        row = days[(clock.date(c), k)]
        row[0] += 1
        row[1] += s
        row[2] += a
        row[3].append(d)
    return {key: (n, s, a, NOT_SETTLED if NOT_SETTLED in d else max(d))
            for key, (n, s, a, d) in days.items()}


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("huge", [False, True])
def test_daily_lines_are_the_exact_sums_of_each_phone_and_days_hourly_lines(zone, huge):
    rng = np.random.default_rng(len(zone) + huge)
    clock = Clock(zone)
    for _ in range(3):
        intervals, rates = _intervals(rng, zone, huge=huge)
        end = max(e for spans in intervals.values() for _, e in spans) - 5000
        usage = Usage(intervals, rates, 200, clock.hour_start, _settled(clock, end))
        expected = _by_day(usage, clock)
        for size in (1, 30, 10**6):  # one day per block up to all days in one block
            got = {}
            for block in daily_blocks(usage, clock.day_start, clock.next_day_start, size):
                for k, s, e, n, sec, a, d in zip(*(getattr(block, f).tolist() for f in (
                        "phone", "day_start", "day_end", "lines", "seconds", "amount_e8",
                        "settled"))):
                    day = clock.date(s)
                    assert s == clock.midnight(day) and e == clock.midnight(day + dt.timedelta(1))
                    assert (day, k) not in got  # one line per phone and day
                    got[(day, k)] = (n, sec, a, d)
            assert got == expected
        # Per phone and in total, the daily amounts are the hourly lines' sums.
        per_phone = defaultdict(int)
        for (_, k), (_, _, a, _) in expected.items():
            per_phone[k] += a
        assert all(per_phone[k] == int(usage.per_phone_e8[k]) for k in intervals)
        assert sum(per_phone.values()) == usage.total_e8


def test_settlements_out_of_cycle_order_are_summed_from_the_lines(zone="Europe/Berlin"):
    # Bill runs settle in cycle order, so days are summed from the intervals; any other
    # order (not made by the engine) takes the hourly lines and gives the same sums.
    rng = np.random.default_rng(3)
    clock = Clock(zone)
    intervals, rates = _intervals(rng, zone)
    jumbled = {}

    def settled_at(cycle: int) -> int | None:
        return jumbled.setdefault(cycle, None if rng.random() < 0.3
                                  else cycle + int(rng.integers(3600, 86400 * 3)))

    usage = Usage(intervals, rates, 200, clock.hour_start, settled_at)
    expected = _by_day(usage, clock)
    got = {}
    for block in daily_blocks(usage, clock.day_start, clock.next_day_start, 50):
        for k, s, n, sec, a, d in zip(*(getattr(block, f).tolist() for f in (
                "phone", "day_start", "lines", "seconds", "amount_e8", "settled"))):
            got[(clock.date(s), k)] = (n, sec, a, d)
    assert got == expected
    assert any(d == NOT_SETTLED for *_, d in got.values())


def test_a_daylight_saving_day_has_23_or_25_hours_of_lines():
    clock = Clock("Europe/Berlin")
    start, stop = clock.epoch(dt.datetime(2024, 3, 30)), clock.epoch(dt.datetime(2024, 11, 1))
    usage = Usage({0: [(start, stop)]}, {0: 10_000_000}, 1, clock.hour_start, lambda c: None)
    days = {clock.date(s): (e - s, n, sec, a) for block in daily_blocks(
        usage, clock.day_start, clock.next_day_start) for s, e, n, sec, a in zip(
        block.day_start.tolist(), block.day_end.tolist(), block.lines.tolist(),
        block.seconds.tolist(), block.amount_e8.tolist())}
    assert days[dt.date(2024, 3, 31)] == (23 * 3600, 23, 23 * 3600, 23 * 10_000_000)
    assert days[dt.date(2024, 10, 27)] == (25 * 3600, 25, 25 * 3600, 25 * 10_000_000)
    assert days[dt.date(2024, 4, 1)] == (24 * 3600, 24, 24 * 3600, 24 * 10_000_000)
    assert sum(a for *_, a in days.values()) == usage.total_e8


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe"])
def test_daily_csv_is_the_csv_modules_output_byte_for_byte(zone, tmp_path):
    rng = np.random.default_rng(7)
    clock = Clock(zone)
    intervals, rates = _intervals(rng, zone)
    end = max(e for spans in intervals.values() for _, e in spans) - 5000
    usage = Usage(intervals, rates, 200, clock.hour_start, _settled(clock, end))
    ids = [ODD_IDS[k % len(ODD_IDS)] + str(k) for k in range(200)]

    def blocks():
        return daily_blocks(usage, clock.day_start, clock.next_day_start, 40)

    write_daily_csv(tmp_path / "fast.csv", blocks(), ids, clock.iso)
    write_daily_csv_module(tmp_path / "slow.csv", blocks(), ids, clock.iso)
    fast = (tmp_path / "fast.csv").read_bytes()
    assert fast == (tmp_path / "slow.csv").read_bytes()
    assert fast.startswith(",".join(DAILY_COLUMNS).encode() + b"\n")
    assert b",\n" in fast  # some days hold an unsettled line: settled_at is empty


# --- whole runs --------------------------------------------------------------------------
def _scenario() -> dict:
    """small-fleet, in Berlin over its 2024 spring-forward day (a 23-hour day), ending while
    phones bill: the last lines are not settled at `end`."""
    data = yaml.safe_load((ROOT / "scenarios" / "small-fleet.yaml").read_text())
    data["timezone"] = "Europe/Berlin"
    data["account"]["balance"] = "5000.00"
    data["end"] = "2024-04-02 12:30:00"
    data["phones"].append({"id": "tester-3", "spec": "basic-4c8g", "billing": "pay_per_use",
                           "at": "2024-03-29 09:20:00", "quantity": 2, "actions": [
                               {"at": "2024-03-31 01:10:00", "do": "stop"},
                               {"at": "2024-03-31 04:00:00", "do": "start"}]})
    return data


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """small-fleet in Berlin written at each detail, CSV and Parquet."""
    result = simulate(load_scenario(_scenario()))
    base = tmp_path_factory.mktemp("detail")
    for fmt in ("csv", "parquet"):
        for detail in ("hourly", "daily", "none"):
            result.write(base / f"{fmt}-{detail}", format=fmt, usage_detail=detail)
    return result, base


def _run_part(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k not in ("files", "usage_detail")}


def test_daily_reads_back_as_the_runs_daily_frame_from_csv_and_parquet(written):
    result, base = written
    a, b = read_results(base / "csv-daily"), read_results(base / "parquet-daily")
    assert a.usage_detail == b.usage_detail == "daily"
    assert a.usage is None and b.usage is None
    pd.testing.assert_frame_equal(a.usage_daily, b.usage_daily)
    plain = a.usage_daily.assign(phone=a.usage_daily["phone"].astype(object))
    pd.testing.assert_frame_equal(plain, result.usage_daily)
    assert len(a.usage_daily) > 0
    # Daily sums equal the hourly lines per phone and local day, and in total.
    hourly = read_results(base / "csv-hourly").usage
    day = hourly["cycle_start"].map(lambda t: t.date())
    by_day = hourly.groupby([hourly["phone"].astype(str), day])["amount"].apply(
        lambda s: sum(s, Decimal(0)))
    daily = a.usage_daily
    mine = dict(zip(zip(daily["phone"].astype(str), daily["day_start"].map(lambda t: t.date())),
                    daily["amount"]))
    assert mine == by_day.to_dict()
    # settled_at: the day's latest settlement, empty when one of its lines is unsettled.
    last = hourly.groupby([hourly["phone"].astype(str), day])["settled_at"].agg(
        lambda s: pd.NaT if s.isna().any() else s.max())
    settled = dict(zip(zip(daily["phone"].astype(str),
                           daily["day_start"].map(lambda t: t.date())), daily["settled_at"]))
    assert {k: None if pd.isna(v) else v for k, v in settled.items()} == \
        {k: None if pd.isna(v) else v for k, v in last.to_dict().items()}
    assert daily["settled_at"].isna().any() and daily["settled_at"].notna().any()
    hours = (daily["day_end"] - daily["day_start"]) / pd.Timedelta(hours=1)
    assert set(hours) == {23, 24}  # the spring-forward day is one of them
    assert daily.loc[hours == 23, "lines"].max() == 23
    assert sum(daily["amount"], Decimal(0)) == sum(hourly["amount"], Decimal(0))
    assert daily["lines"].sum() == len(hourly)
    assert daily["seconds"].sum() == hourly["seconds"].sum()


def test_every_detail_gives_the_same_costs_and_summary(written):
    _result, base = written
    for fmt in ("csv", "parquet"):
        runs = {d: read_results(base / f"{fmt}-{d}") for d in ("hourly", "daily", "none")}
        assert "usage_detail" not in runs["hourly"].summary  # hourly: as before, no key
        assert runs["daily"].summary["usage_detail"] == "daily"
        assert runs["none"].summary["usage_detail"] == "none"
        assert _run_part(runs["hourly"].summary) == _run_part(runs["daily"].summary) == \
            _run_part(runs["none"].summary)
        for name in ("ledger", "states", "notifications", "costs", "monthly"):
            pd.testing.assert_frame_equal(getattr(runs["hourly"], name),
                                          getattr(runs["none"], name))
            pd.testing.assert_frame_equal(getattr(runs["hourly"], name),
                                          getattr(runs["daily"], name))


def test_none_writes_no_usage_table_and_readers_cope(written, tmp_path):
    from sim.plots import plot_results
    from sim.report import write_report

    _result, base = written
    for fmt in ("csv", "parquet"):
        folder = base / f"{fmt}-none"
        names = {p.name for p in folder.iterdir()}
        assert not any(n.startswith("usage") for n in names)
        run = read_results(folder)
        assert set(run.summary["files"]) == names - {"summary.json"}
        assert run.usage is None and run.usage_daily is None
        for detail in ("none", "daily"):
            out = tmp_path / f"{fmt}-{detail}"
            drawn = plot_results(base / f"{fmt}-{detail}", out)
            assert {p.name for p in drawn} >= {"money.png", "timeline.png"}
            page = write_report(base / f"{fmt}-{detail}", out / "report.html").read_text()
            assert str(cents(Decimal(run.summary["total_cost"]))) in page.replace(",", "")


def test_the_money_figure_is_the_same_at_every_detail(written, tmp_path):
    from sim.plots import plot_results

    _result, base = written
    svgs = {}
    for detail in ("hourly", "daily", "none"):
        plot_results(base / f"csv-{detail}", tmp_path / detail)
        svgs[detail] = (tmp_path / detail / "money.svg").read_bytes()
    assert svgs["hourly"] == svgs["daily"] == svgs["none"]


def test_a_missing_or_damaged_daily_table_is_named(written, tmp_path):
    import shutil

    _result, base = written
    copy = tmp_path / "copy"
    shutil.copytree(base / "csv-daily", copy)
    with open(copy / "usage_daily.csv", "ab") as fh:
        fh.write(b"x")
    with pytest.raises(DamagedResults, match="usage_daily.csv"):
        read_results(copy)
    (copy / "usage_daily.csv").unlink()
    with pytest.raises(DamagedResults, match="usage_daily.csv is missing"):
        read_results(copy)


def test_hourly_default_is_byte_identical_to_writing_without_the_option(written, tmp_path):
    result, base = written
    result.write(tmp_path / "default")
    for name in OUTPUT_FILES:
        assert (tmp_path / "default" / name).read_bytes() == \
            (base / "csv-hourly" / name).read_bytes(), name


def test_write_refuses_an_unknown_detail(written, tmp_path):
    result, _base = written
    with pytest.raises(ValueError, match="usage_detail must be one of hourly, daily, none"):
        result.write(tmp_path / "x", usage_detail="weekly")
    assert not (tmp_path / "x").exists()


# --- command line and estimate ----------------------------------------------------------
def test_cli_usage_detail_writes_the_table_asked_for(tmp_path):
    scenario = tmp_path / "fleet.yaml"
    scenario.write_text(yaml.safe_dump(_scenario()), encoding="utf-8")
    outs = {}
    for detail in ("hourly", "daily", "none"):
        outs[detail] = tmp_path / detail
        args = ["run", str(scenario), "--out", str(outs[detail])]
        if detail != "hourly":
            args += ["--usage-detail", detail, "--plot"]  # figures drawn inside the write
        done = CliRunner().invoke(cli, args)
        assert done.exit_code == 0, done.output
    assert (outs["hourly"] / "usage.csv").is_file()
    assert (outs["daily"] / "usage_daily.csv").is_file()
    assert not (outs["daily"] / "usage.csv").exists()
    assert not any(p.name.startswith("usage") for p in outs["none"].iterdir())
    totals = {d: json.loads((o / "summary.json").read_text())["total_cost"]
              for d, o in outs.items()}
    assert len(set(totals.values())) == 1
    assert (outs["daily"] / "money.png").is_file() and (outs["none"] / "timeline.png").is_file()
    # Rewriting a folder at another detail replaces it whole: no usage table is left over.
    done = CliRunner().invoke(cli, ["run", str(scenario), "--out", str(outs["hourly"]),
                                    "--usage-detail", "none"])
    assert done.exit_code == 0, done.output
    assert not any(p.name.startswith("usage") for p in outs["hourly"].iterdir())
    assert read_results(outs["hourly"]).usage_detail == "none"


def test_cli_refuses_a_bad_usage_detail_and_writes_nothing(tmp_path):
    scenario = tmp_path / "fleet.yaml"
    scenario.write_text(yaml.safe_dump(_scenario()), encoding="utf-8")
    done = CliRunner().invoke(cli, ["run", str(scenario), "--out", str(tmp_path / "out"),
                                    "--usage-detail", "weekly"])
    assert done.exit_code == 2
    assert "'--usage-detail'" in done.output and "'weekly' is not one of" in done.output
    assert not (tmp_path / "out").exists()


def test_the_estimate_follows_the_detail_and_bounds_what_is_written(written):
    _result, base = written
    scenario = load_scenario(_scenario())
    for fmt in ("csv", "parquet"):
        hourly, daily, none = (estimate_output(scenario, fmt, d)
                               for d in ("hourly", "daily", "none"))
        assert none.bytes < daily.bytes < hourly.bytes
        assert none.lines == 0 and 0 < daily.lines < hourly.lines
        assert "daily usage lines" in str(daily)
        assert daily.lines >= len(read_results(base / f"{fmt}-daily").usage_daily)
    # CSV bytes are bounded too (a Parquet file adds a few KB of schema and footer).
    written_daily = (base / "csv-daily" / "usage_daily.csv").stat().st_size
    assert (estimate_output(scenario, "csv", "daily").bytes
            - estimate_output(scenario, "csv", "none").bytes) >= written_daily

"""`read_results`: a CSV folder and a Parquet folder of one run give the same typed frames,
equal to the run's own, with exact money and zoned times that survive daylight saving."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

import sim
from sim import load_scenario, read_results, simulate

ROOT = Path(__file__).resolve().parent.parent
TABLES = ("ledger", "usage", "states", "notifications")


def _small_fleet(zone: str):
    data = yaml.safe_load((ROOT / "scenarios" / "small-fleet.yaml").read_text())
    data["timezone"] = zone
    return simulate(load_scenario(data))


@pytest.fixture(scope="module", params=["Europe/Berlin", "Asia/Shanghai"])
def written(request, tmp_path_factory):
    result = _small_fleet(request.param)
    base = tmp_path_factory.mktemp(request.param.replace("/", "-"))
    result.write(base / "csv")
    result.write(base / "parquet", format="parquet")
    return request.param, result, base


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categories and text as plain objects, to compare with `Result`'s frames."""
    return frame.apply(lambda s: s.astype(object)
                       if isinstance(s.dtype, (pd.CategoricalDtype, pd.StringDtype)) else s)


def test_csv_and_parquet_read_back_as_equal_typed_frames(written):
    _zone, result, base = written
    from_csv, from_parquet = read_results(base / "csv"), read_results(base / "parquet")
    assert (from_csv.format, from_parquet.format) == ("csv", "parquet")
    def run_part(summary):  # all but the list of files with their checksums
        return {k: v for k, v in summary.items() if k != "files"}

    assert run_part(from_csv.summary) == run_part(from_parquet.summary) == result.summary
    assert set(from_parquet.summary["files"]) >= {"usage.parquet", "ledger.parquet"}
    for name in TABLES:
        a, b = getattr(from_csv, name), getattr(from_parquet, name)
        assert len(a) > 0, name
        pd.testing.assert_frame_equal(a, b)
        # ... and both are the frames the run itself gave.
        pd.testing.assert_frame_equal(_plain(a), _plain(getattr(result, name)))
    for name in ("costs", "monthly"):  # both views of cost, typed the same way
        a, b = getattr(from_csv, name), getattr(from_parquet, name)
        assert len(a) > 0, name
        pd.testing.assert_frame_equal(a, b)
        assert all(isinstance(v, Decimal) for v in a["accrued"])
    assert [str(c) for c in from_csv.costs["cash"]] == \
        [result.summary["phones"][p]["cost"] for p in from_csv.costs["phone"]]


def test_money_is_decimal_times_are_zoned_categories_are_fixed(written):
    zone, _result, base = written
    for folder in ("csv", "parquet"):
        res = read_results(base / folder)
        ledger, usage, states = res.ledger, res.usage, res.states
        assert all(isinstance(v, Decimal) for v in ledger["amount"])
        assert all(isinstance(v, Decimal) for v in usage["amount"])
        # Money reads as the CSV writes it: cents, or 8 places for bill lines.
        assert Decimal("-45.00").as_tuple() == ledger["amount"].iloc[0].as_tuple()
        assert str(usage["amount"].iloc[0]).split(".")[1].__len__() == 8
        for frame, column in ((ledger, "time"), (usage, "cycle_start"), (states, "start")):
            assert str(frame[column].dt.tz) == zone
        assert states["state"].cat.categories[:3].tolist() == ["Creating", "Running", "Stopped"]
        assert ledger["kind"].cat.categories[0] == "topup"
        assert usage["phone"].cat.categories.tolist() == list(res.summary["phones"])
        assert usage["seconds"].dtype == "int64"
        assert res.notifications["days_before"].dtype == "Int64"
        # Sums are exact and match the summary.
        ppu = usage.groupby("phone", observed=True)["amount"].sum()
        orders = ledger[ledger["phone"] != ""].groupby("phone")["amount"].sum()
        for phone, info in res.summary["phones"].items():
            cost = ppu.get(phone, Decimal(0)) - orders.get(phone, Decimal(0))
            assert cost == Decimal(info["cost"]), phone


DST_WEEKEND = {
    "name": "dst", "timezone": "Europe/Berlin", "start": "2024-03-30 00:00:00",
    "end": "2024-04-02 00:00:00", "account": {"balance": "100.00"},
    "phones": [
        {"id": "burst", "spec": "pro-2c4g", "billing": "pay_per_use", "at": "2024-03-30 22:10:00",
         "actions": [{"at": "2024-04-01 10:00:00", "do": "delete"}]},
        {"id": "desk", "spec": "pro-2c4g", "billing": "monthly", "term": 1,
         "at": "2024-03-30 12:00:00"}],
}


def test_times_across_a_daylight_saving_change_keep_both_offsets(tmp_path):
    # Berlin moves from +01:00 to +02:00 on 2024-03-31 at 02:00.
    result = simulate(load_scenario(DST_WEEKEND))
    for fmt in ("csv", "parquet"):
        result.write(tmp_path / fmt, format=fmt)
    text = pd.read_csv(tmp_path / "csv" / "usage.csv", parse_dates=["cycle_start"])
    assert not isinstance(text["cycle_start"].dtype, pd.DatetimeTZDtype)  # left as text
    a, b = read_results(tmp_path / "csv"), read_results(tmp_path / "parquet")
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    offsets = [t.utcoffset() for t in a.usage["cycle_start"]]
    assert set(offsets) == {dt.timedelta(hours=1), dt.timedelta(hours=2)}
    hours = [t.strftime("%d %H:%M%z") for t in a.usage["cycle_start"]]
    assert hours[hours.index("31 01:00+0100") + 1] == "31 03:00+0200"  # 02:00 never was
    assert (a.usage["cycle_end"] - a.usage["cycle_start"]).eq(pd.Timedelta(hours=1)).all()
    assert a.ledger["time"].iloc[-1].utcoffset() == dt.timedelta(hours=2)


def test_every_parquet_file_has_decimal_and_timestamp_types(written):
    zone, _result, base = written
    money = {"ledger": {"amount", "balance_after"}, "usage": {"amount"},
             "costs": {"cash", "accrued"}, "monthly": {"cash", "accrued"}}
    for name in ("costs", "monthly"):
        types = {f.name: f.type for f in pq.read_schema(base / "parquet" / f"{name}.parquet")}
        assert {n for n, t in types.items() if pa.types.is_decimal(t)} == money[name]
        assert pa.types.is_dictionary(types["billing"])
    for name in TABLES:
        types = {f.name: f.type for f in pq.read_schema(base / "parquet" / f"{name}.parquet")}
        stamps = {n for n, t in types.items() if pa.types.is_timestamp(t)}
        assert stamps and all(types[n].tz == zone for n in stamps), name
        assert {n for n, t in types.items() if pa.types.is_decimal(t)} == money.get(name, set())
        assert all(types[n].scale == 8 for n in money.get(name, ()))
        counts = {"usage": "seconds", "notifications": "days_before"}
        if name in counts:
            assert pa.types.is_int64(types[counts[name]])
        for category in {"ledger": ["kind", "paid_from"], "states": ["billing", "state"],
                         "notifications": ["kind"], "usage": ["phone"]}[name]:
            assert pa.types.is_dictionary(types[category]), (name, category)


def test_parquet_wall_time_is_recoverable_without_our_loader(written):
    zone, result, base = written
    table = pq.read_table(base / "parquet" / "ledger.parquet")
    first = table.column("time")[0].as_py()
    assert first.isoformat() == result.clock.iso(result.ledger_rows[0].time)
    assert str(table.column("time").type.tz) == zone


def test_a_run_with_empty_tables_reads_back(tmp_path):
    data = {"name": "quiet", "timezone": "Europe/Berlin", "start": "2024-01-01 00:00:00",
            "end": "2024-01-02 00:00:00", "account": {"balance": "10.00"}, "phones": []}
    result = simulate(load_scenario(data))
    for fmt in ("csv", "parquet"):
        result.write(tmp_path / fmt, format=fmt)
    a, b = read_results(tmp_path / "csv"), read_results(tmp_path / "parquet")
    for name in TABLES:
        assert len(getattr(a, name)) == 0
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


def test_not_a_results_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no summary.json"):
        read_results(tmp_path)


def test_a_damaged_file_is_named_before_anything_is_read(written, tmp_path):
    import shutil

    from sim import DamagedResults

    _zone, _result, base = written
    for fmt in ("csv", "parquet"):
        copy = shutil.copytree(base / fmt, tmp_path / fmt)
        path = copy / f"usage.{fmt}"
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 1  # one bit flipped, same size
        path.write_bytes(bytes(data))
        with pytest.raises(DamagedResults, match=f"usage.{fmt} does not match"):
            read_results(copy)


def test_read_results_is_public():
    assert sim.read_results is read_results

"""SweepResult: the rows of a sweep -> `table` and `summary` DataFrames, and their files.

Money stays exact: Decimal in the DataFrames, decimal strings in the CSV files,
decimal128(38, 8) in Parquet. Rows are sorted by (variant, replication), so the same seed
gives the same files whatever ran them.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.money import e8, fmt
from sim.whatif.sweep.task import EXTRA, MONEY, OUTPUTS

SWEEP_FILES = ("sweep.csv", "sweep.parquet", "sweep-summary.csv")
STATS = (("mean", None), ("p5", Decimal("0.05")), ("p50", Decimal("0.5")),
         ("p95", Decimal("0.95")))


def shown(value: Any) -> Any:
    """A swept value as its column shows it: numbers and text as they are, others as YAML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, str, Decimal)):
        return value
    if value is None:
        return "null"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    return str(value)


def _text(value: Any) -> str:
    value = shown(value)
    return format(value, "f") if isinstance(value, Decimal) else str(value)


class SweepResult:
    """What a sweep produced: one row per variant x replication, and a per-variant summary."""

    def __init__(self, name: str, params: list[str], values: dict[int, dict[str, Any]],
                 seeds: dict[int, int | None], rows: list[dict]):
        self.name, self.params = name, params
        self.lost = sorted({r["variant"] for r in rows if r.get("lost")})
        """Variants that could not be run at all (their worker died each time)."""
        rows = sorted(rows, key=lambda r: (r["variant"], r["replication"]))
        self.table = _table(params, values, seeds, rows)
        self.summary = _summary(params, self.table)

    @property
    def failed(self) -> pd.DataFrame:
        """The rows that failed, with their parameters and error."""
        return self.table[self.table["error"].notna()]

    @property
    def columns(self) -> list[str]:
        return list(self.table.columns)

    def write(self, out: str | os.PathLike) -> Path:
        """Write sweep.csv, sweep.parquet and sweep-summary.csv as the folder `out`, whole.

        They are written into a hidden folder beside `out`, then swapped in for the
        previous sweep's folder (sim.atomic, with its lock and crash recovery): a full disk
        or a kill leaves the previous three files or the new three, never a mix. A folder
        holding anything else is refused (UnsafeOutputFolder).
        """
        from sim.atomic import write_whole

        return write_whole(out, SWEEP_FILES, self.write_into, ours=looks_like_sweep)

    def write_into(self, folder: Path) -> None:
        """The three files, in an existing (empty) folder."""
        _write_csv(folder / "sweep.csv", self.table, self.params)
        _write_parquet(folder / "sweep.parquet", self.table, self.params)
        _write_csv(folder / "sweep-summary.csv", self.summary, self.params)


def looks_like_sweep(folder: Path) -> bool:
    """An earlier sweep's folder: its sweep.csv starts with the sweep's own columns."""
    try:
        with open(folder / "sweep.csv", encoding="utf-8") as fh:
            return fh.readline(200).startswith("variant,replication,seed,")
    except (OSError, ValueError):
        return False


def _param_columns(params: list[str]) -> list[str]:
    return [p for p in params if p != "seed"]  # a swept seed is the `seed` column itself


def _table(params, values, seeds, rows) -> pd.DataFrame:
    columns = ["variant", "replication", "seed", *_param_columns(params), *OUTPUTS, *EXTRA,
               "error"]
    data: dict[str, Any] = {
        "variant": pd.Series([r["variant"] for r in rows], dtype="int64"),
        "replication": pd.Series([r["replication"] for r in rows], dtype="int64"),
        "seed": pd.Series([seeds[r["variant"]] for r in rows], dtype="Int64"),
    }
    for param in _param_columns(params):
        data[param] = pd.Series([shown(values[r["variant"]][param]) for r in rows], dtype=object)
    for column in MONEY:
        data[column] = pd.Series([r.get(column) for r in rows], dtype=object)
    data["unusable_hours"] = pd.Series([r.get("unusable_hours", math.nan) for r in rows],
                                       dtype="float64")
    for column in ("refused_operations", *EXTRA):
        data[column] = pd.Series([r.get(column) for r in rows], dtype="Int64")
    data["error"] = pd.Series([r.get("error") for r in rows], dtype=object)
    return pd.DataFrame(data, columns=columns)


def _percentile(ordered: list[Decimal | Fraction], q: Decimal) -> Fraction:
    """numpy's default (linear) percentile of sorted values, computed exactly."""
    pos = Fraction(q) * (len(ordered) - 1)
    low = int(pos)
    if low + 1 >= len(ordered):
        return Fraction(ordered[-1])
    a, b = Fraction(ordered[low]), Fraction(ordered[low + 1])
    return a + (b - a) * (pos - low)


def _money_stats(values: list[Decimal]) -> dict[str, Decimal | None]:
    if not values:
        return {stat: None for stat, _ in STATS}
    ordered = sorted(Fraction(v) for v in values)
    out = {"mean": sum(ordered, Fraction(0)) / len(ordered)}
    out.update({stat: _percentile(ordered, q) for stat, q in STATS if q is not None})
    return {stat: e8(v) for stat, v in out.items()}  # exact, rounded once (§7.18)


def _number_stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {stat: math.nan for stat, _ in STATS}
    array = np.asarray(values, dtype="float64")
    out = {"mean": float(array.mean())}
    out.update({stat: float(np.percentile(array, float(q) * 100))
                for stat, q in STATS if q is not None})
    return out


def _summary(params: list[str], table: pd.DataFrame) -> pd.DataFrame:
    """Per variant: its parameters, runs ok/failed, first error, mean and P5/P50/P95."""
    stat_columns = [f"{column}_{stat}" for column in (*OUTPUTS, *EXTRA) for stat, _ in STATS]
    columns = ["variant", "seed", *_param_columns(params), "replications", "failed", "error",
               *stat_columns]
    records = []
    for variant, rows in table.groupby("variant", sort=True):
        ok = rows[rows["error"].isna()]
        errors = rows["error"].dropna()
        first = rows.iloc[0]
        record = {"variant": variant, "seed": first["seed"], "replications": len(ok),
                  "failed": len(errors), "error": errors.iloc[0] if len(errors) else None}
        record.update({p: first[p] for p in _param_columns(params)})
        for column in (*OUTPUTS, *EXTRA):
            values = ok[column].tolist()
            stats = (_money_stats(values) if column in MONEY else
                     _number_stats([float(v) for v in values]))
            record.update({f"{column}_{stat}": v for stat, v in stats.items()})
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=columns)
    frame["variant"] = frame["variant"].astype("int64")
    frame["seed"] = frame["seed"].astype("Int64")
    return frame


def _cell(value: Any) -> Any:
    """A CSV cell: exact money strings, empty for missing values."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, float):
        return repr(round(value, 9))
    return value


def _write_csv(path: Path, frame: pd.DataFrame, params: list[str]) -> None:
    # A swept value is written as it was given (50.0 stays 50.0, 1e999 stays exact), not
    # as money: only the output columns are amounts.
    swept = [column in _param_columns(params) for column in frame.columns]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(frame.columns)
        for row in frame.itertuples(index=False, name=None):
            writer.writerow([_text(v) if is_swept and v is not None else _cell(v)
                             for v, is_swept in zip(row, swept)])


def _write_parquet(path: Path, frame: pd.DataFrame, params: list[str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    def nullable(series: pd.Series) -> list:
        return [None if v is pd.NA or v is None else v for v in series.tolist()]

    arrays, fields = [], []
    for column in frame.columns:
        series = frame[column]
        if column in MONEY:
            array = pa.array(nullable(series), type=pa.decimal128(38, 8))
        elif column in _param_columns(params):
            values = nullable(series)
            if all(isinstance(v, int) and not isinstance(v, bool) and -2**63 <= v < 2**63
                   for v in values):
                array = pa.array(values, type=pa.int64())
            else:  # Decimal values as their exact text, mappings as shown
                array = pa.array([_text(v) for v in values], type=pa.string())
        elif column == "unusable_hours":
            array = pa.array(series.to_numpy(dtype="float64"), type=pa.float64(),
                             from_pandas=True)  # NaN (failed run) -> null
        elif column == "error":
            array = pa.array(nullable(series), type=pa.string())
        else:
            array = pa.array(nullable(series), type=pa.int64())
        arrays.append(array)
        fields.append(pa.field(column, array.type))
    pq.write_table(pa.Table.from_arrays(arrays, schema=pa.schema(fields)), path)

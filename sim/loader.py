"""Read a results folder, CSV or Parquet alike, back into typed tables: `read_results(folder)`.

Both formats go through the same Arrow schemas (`sim.tables`): money becomes exact
`Decimal`, times tz-aware timestamps in the scenario's zone (CSV offsets that change with
daylight saving included), categories pandas categoricals with a fixed order. Tables load
when first asked for; `table(name, columns)` gives the typed Arrow table for large files.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from .manifest import DamagedResults, verify_results
from .money import fmt
from .tables import CATEGORIES, NULLABLE_INTS, USAGE_TABLE, schema

# pandas' own unit for timestamps: the frames of `read_results` and of `Result` compare equal.
FRAME_TIME = "us"


class Results:
    """A results folder read back: `summary`, and `ledger`, `usage`, `states`,
    `notifications`, `costs`, `monthly` as typed DataFrames (see the interface contract
    for the columns; `costs` and `monthly` are None for folders written before them).

    `usage_detail` says which usage table the folder holds: "hourly" (`usage`, the default
    and every older folder), "daily" (`usage_daily`) or "none"; the other is None."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        if not (self.folder / "summary.json").is_file():
            raise FileNotFoundError(f"{self.folder}: not a results folder (no summary.json)")
        # Every file summary.json lists is checked (size, SHA-256) before anything is read:
        # a damaged folder raises DamagedResults naming the file.
        self.summary: dict = verify_results(self.folder)
        self.zone: str = self.summary.get("timezone") or "UTC"
        self.format = "parquet" if (self.folder / "ledger.parquet").exists() else "csv"
        self.usage_detail: str = self.summary.get("usage_detail", "hourly")
        if self.usage_detail not in USAGE_TABLE:
            raise DamagedResults(self.folder, "summary.json", "has an unknown usage_detail "
                                 f"{self.usage_detail!r} (one of {', '.join(USAGE_TABLE)})")
        usage = USAGE_TABLE[self.usage_detail]
        for name in ("ledger", "states", "notifications", *([usage] if usage else [])):
            if not self.path(name).is_file():
                raise FileNotFoundError(f"{self.folder}: {self.path(name).name} is missing")

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.{self.format}"

    # --- typed Arrow tables -----------------------------------------------------------
    def table(self, name: str, columns: list[str] | None = None) -> pa.Table:
        """One output table with its typed schema (Arrow); only `columns` if given."""
        typed = schema(name, self.zone)
        if columns is not None:
            typed = pa.schema([typed.field(c) for c in columns])
        if self.format == "parquet":
            table = pq.read_table(self.path(name), columns=typed.names)
        else:
            table = pa_csv.read_csv(self.path(name), convert_options=pa_csv.ConvertOptions(
                column_types={f.name: _plain(f.type) for f in typed},
                include_columns=typed.names,
                strings_can_be_null=False))  # an empty text cell is "", as in the files
        # One canonical form for both formats: plain text before categories are fixed,
        # timestamps in whole seconds and the scenario's zone.
        return table.cast(pa.schema([pa.field(f.name, _plain(f.type)) for f in typed]))

    # --- DataFrames -------------------------------------------------------------------
    def frame(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        """One output table as a typed DataFrame."""
        table = self.table(name, columns)
        return pd.DataFrame({field.name: self._series(name, field, column)
                             for field, column in zip(table.schema, table.columns)},
                            columns=table.column_names)

    def _series(self, table: str, field: pa.Field, column: pa.ChunkedArray) -> pd.Series:
        kind = field.type
        if pa.types.is_timestamp(kind):
            return column.cast(pa.timestamp(FRAME_TIME, tz=self.zone)).to_pandas()
        if pa.types.is_integer(kind):
            nullable = (table, field.name) in NULLABLE_INTS
            return column.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get
                                    if nullable else None)
        if (table, field.name) in CATEGORIES:
            known = CATEGORIES[(table, field.name)] or tuple(self.summary.get("phones", {}))
            return _categorical(column, known)
        if pa.types.is_decimal(kind) and table not in ("usage", "usage_daily"):
            return _as_written(column)
        return column.to_pandas()  # Decimal objects for money, text for the rest

    @cached_property
    def ledger(self) -> pd.DataFrame:
        return self.frame("ledger")

    @cached_property
    def usage(self) -> pd.DataFrame | None:
        """Bill lines per phone and clock hour; None if the folder has no hourly detail."""
        return self.frame("usage") if self.usage_detail == "hourly" else None

    @cached_property
    def usage_daily(self) -> pd.DataFrame | None:
        """Bill lines summed per phone and local day; None unless the folder is daily."""
        return self.frame("usage_daily") if self.usage_detail == "daily" else None

    @cached_property
    def states(self) -> pd.DataFrame:
        return self.frame("states")

    @cached_property
    def notifications(self) -> pd.DataFrame:
        return self.frame("notifications")

    @cached_property
    def costs(self) -> pd.DataFrame | None:
        return self.frame("costs") if self.path("costs").is_file() else None

    @cached_property
    def monthly(self) -> pd.DataFrame | None:
        return self.frame("monthly") if self.path("monthly").is_file() else None


def _categorical(column: pa.ChunkedArray, known: tuple[str, ...]) -> pd.Series:
    """Text -> a categorical with the known values first, in order, then any others sorted;
    made from Arrow's dictionary codes (no Python per row)."""
    encoded = pc.dictionary_encode(column.combine_chunks()) if len(column) else None
    values = encoded.dictionary.to_pylist() if encoded is not None else []
    categories = [*known, *sorted(set(values) - set(known))]
    if encoded is None:
        return pd.Series(pd.Categorical([], categories=categories))
    where = {v: i for i, v in enumerate(categories)}
    position = np.array([where[v] for v in values] + [-1], dtype=np.int64)
    codes = encoded.indices.fill_null(len(values)).to_numpy()
    return pd.Series(pd.Categorical.from_codes(position[codes], categories=categories))


def _as_written(column: pa.ChunkedArray) -> pd.Series:
    """Money as the CSV writes it: whole cents with 2 places, else 8 (`money.fmt`); each
    distinct value converted once."""
    encoded = pc.dictionary_encode(column.combine_chunks())
    values = [None if v is None else Decimal(fmt(v)) for v in encoded.dictionary.to_pylist()]
    lookup = np.array([*values, None], dtype=object)
    return pd.Series(lookup[encoded.indices.fill_null(len(values)).to_numpy()], dtype=object)


def _plain(kind: pa.DataType) -> pa.DataType:
    """The type a column is read as: categories as text (fixed later), times in seconds."""
    return pa.string() if pa.types.is_dictionary(kind) else kind


def read_results(folder: str | Path) -> Results:
    """A results folder (CSV or Parquet) with typed tables and its summary."""
    return Results(folder)

"""Reading input tables (CSV or Parquet) with limits, and checking them column by column.

A column is checked whole, in Arrow and numpy (never row by row through pydantic), so a
million-row fleet is read in seconds; each failure names the file, the rows (row 1 is the
first row after the header) and the column.
"""

from __future__ import annotations

import csv
import io
import re
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sim.clock import Clock
from sim.scenario.errors import Problem, ScenarioError

MAX_TABLE_BYTES = 4 * 1024 ** 3  # 4 GB: far above a 1,000,000-phone CSV (about 80 MB)
MAX_TABLE_ROWS = 10_000_000
MAX_ROWS_SHOWN = 5  # bad rows listed in one problem; the others are counted
FORMATS = {".csv": "CSV", ".parquet": "Parquet", ".pq": "Parquet"}
_INT_TEXT = r"^[+-]?[0-9]{1,18}$"  # 18 digits always fit an int64
_TIME_NAIVE = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")
_TIME_AWARE = ("%Y-%m-%d %H:%M:%S%z", "%Y-%m-%dT%H:%M:%S%z")
_OFFSET_COLON = re.compile(r"([+-][0-9]{2}):([0-9]{2})$")


def _fail(key: str, message: str) -> ScenarioError:
    return ScenarioError([Problem(key, message)])


def resolve_path(key: str, value: object, base: Path) -> Path:
    """The table file a scenario key names (relative to the scenario's folder)."""
    if not isinstance(value, str) or not value.strip():
        raise _fail(key, "must be the path of a .csv or .parquet file")
    path = Path(value)
    if path.suffix.lower() not in FORMATS:
        raise _fail(key, f"{value!r} is not a .csv or .parquet file")
    return path if path.is_absolute() else base / path


def read_table(key: str, value: str, base: Path) -> Table:
    """The table at scenario key `key`, every column as read (CSV: text; Parquet: typed)."""
    path = resolve_path(key, value, base)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise _fail(key, f"{value} is not a regular file")
        if info.st_size > MAX_TABLE_BYTES:
            raise _fail(key, f"{value} is larger than {MAX_TABLE_BYTES // 1024 ** 3} GB "
                             f"({info.st_size} bytes); refusing to read it")
        if FORMATS[path.suffix.lower()] == "CSV":
            data = _read_csv(key, value, path)
        else:
            data = _read_parquet(key, value, path)
    except FileNotFoundError:
        raise _fail(key, f"no such file: {value}") from None
    except PermissionError:
        raise _fail(key, f"permission denied: {value}") from None
    except OSError as exc:
        raise _fail(key, f"cannot read {value}: {exc.strerror or 'input/output error'}") from None
    if data.num_rows > MAX_TABLE_ROWS:
        raise _fail(key, f"{value} has {data.num_rows} rows; at most {MAX_TABLE_ROWS}")
    return Table(key, value, data)


def _read_csv(key: str, value: str, path: Path) -> pa.Table:
    from pyarrow import csv as pacsv

    data = path.read_bytes()
    try:  # checked first: pyarrow would decode bad rows in a callback that cannot fail
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _fail(key, f"{value}: not UTF-8 text (byte 0x{data[exc.start]:02x} on line "
                         f"{line})") from None
    try:
        header = next(csv.reader(io.StringIO(text[:1_000_000], newline="")), None)
    except csv.Error:
        raise _fail(key, f"{value}: not a readable CSV table") from None
    del text
    if not header:
        raise _fail(key, f"{value} is empty; expected a header row of column names")
    bad_rows: list[int] = []

    def invalid(row) -> str:  # rows with more or fewer fields than the header
        bad_rows.append(row.actual_columns)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=invalid),
            convert_options=pacsv.ConvertOptions(
                # Every cell as text: a value's type is decided by its column's check, so
                # '007' stays an id and '1.0' is refused as a term, as in YAML.
                column_types={name: pa.string() for name in header},
                strings_can_be_null=True, quoted_strings_can_be_null=True))
    except pa.ArrowInvalid as exc:
        reason = "not UTF-8 text" if "UTF8" in str(exc) else "not a readable CSV table"
        raise _fail(key, f"{value}: {reason}") from None
    if bad_rows:
        raise _fail(key, f"{value}: {len(bad_rows)} row(s) do not have the header's "
                         f"{len(header)} fields (one has {bad_rows[0]})")
    return table


def _read_parquet(key: str, value: str, path: Path) -> pa.Table:
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path)
    except (pa.ArrowException, ValueError) as exc:
        if isinstance(exc, OSError) and not isinstance(exc, pa.ArrowException):
            raise
        raise _fail(key, f"{value}: not a readable Parquet file") from None


@dataclass
class Table:
    """One input table and the problems found in it so far."""

    key: str  # the scenario key that names it (phones_table, ...)
    name: str  # the file as the scenario writes it
    data: pa.Table
    problems: list[Problem] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.data.num_rows

    def has(self, column: str) -> bool:
        return column in self.data.column_names

    def column(self, name: str) -> pa.Array:
        return self.data.column(name).combine_chunks()

    def report(self, column: str | None, bad: np.ndarray, message: str) -> None:
        """One problem for the rows of `bad` (a boolean mask) in `column` (None: a row)."""
        rows = np.flatnonzero(bad)
        if not len(rows):
            return
        shown = ", ".join(str(r + 1) for r in rows[:MAX_ROWS_SHOWN])
        more = f" (and {len(rows) - MAX_ROWS_SHOWN} more)" if len(rows) > MAX_ROWS_SHOWN else ""
        where = f"{self.name} row{'s' if len(rows) > 1 else ''} {shown}{more}"
        self.problems.append(Problem(where + (f", column {column}" if column else ""), message))

    def check_columns(self, known: Iterable[str], required: Iterable[str]) -> bool:
        """Unknown and missing columns; False if a required one is missing."""
        known = list(known)
        names = self.data.column_names
        seen = set()
        for name in names:
            if name in seen:
                self.problems.append(Problem(self.key, f"{self.name}: column {name!r} "
                                                       "appears twice"))
            seen.add(name)
            if name not in known:
                self.problems.append(Problem(self.key, f"{self.name}: unknown column "
                                                       f"{name!r}; known: {', '.join(known)}"))
        missing = [name for name in required if name not in seen]
        for name in missing:
            self.problems.append(Problem(self.key, f"{self.name}: required column {name!r} "
                                                   "is missing"))
        return not missing and len(seen) == len(names)


# --- column checks: each returns the column's values, reporting the rows that fail ----
def _missing(values: pa.Array) -> np.ndarray:
    mask = values.is_null()
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        mask = pc.or_(mask, pc.equal(pc.utf8_trim_whitespace(values), "").fill_null(True))
    return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)


def present(table: Table, column: str, required: bool) -> np.ndarray:
    """Rows holding a value; missing values of a required column are reported."""
    if not table.has(column):
        return np.zeros(table.rows, dtype=bool)
    missing = _missing(table.column(column))
    if required:
        table.report(column, missing, "required")
    return ~missing


def text(table: Table, column: str, given: np.ndarray, max_length: int) -> np.ndarray:
    """A text column as an object array of str (None where not given)."""
    out = np.full(table.rows, None, dtype=object)
    if not given.any():
        return out
    values = table.column(column)
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        table.report(column, given, f"must be text, not {values.type}")
        return out
    values = pc.utf8_trim_whitespace(values)
    too_long = np.asarray(pc.greater(pc.utf8_length(values), max_length)
                          .fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    table.report(column, given & too_long, f"must have at most {max_length} characters")
    out[given & ~too_long] = np.asarray(values.to_numpy(zero_copy_only=False),
                                        dtype=object)[given & ~too_long]
    return out


def choice(table: Table, column: str, given: np.ndarray, allowed: Iterable[str]) -> np.ndarray:
    """A column of one of `allowed` words (object array; None where not given or wrong)."""
    allowed = list(allowed)
    out = text(table, column, given, 100)
    ok = np.isin(out, allowed)
    bad = given & ~ok & (out != None)  # noqa: E711 (elementwise)
    table.report(column, bad, f"must be one of {', '.join(allowed)}")
    out[bad] = None
    return out


def integer(table: Table, column: str, given: np.ndarray, low: int, high: int) -> np.ndarray:
    """Whole numbers in [low, high] (int64; 0 where not given or wrong)."""
    out = np.zeros(table.rows, dtype=np.int64)
    if not given.any():
        return out
    values = table.column(column)
    if pa.types.is_integer(values.type):
        numbers = values.fill_null(0).cast(pa.int64(), safe=False).to_numpy()
        ok = np.ones(table.rows, dtype=bool)
    elif pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        values = pc.utf8_trim_whitespace(values)
        ok = np.asarray(pc.match_substring_regex(values, _INT_TEXT).fill_null(False)
                        .to_numpy(zero_copy_only=False), dtype=bool)
        cleaned = pc.if_else(pa.array(ok), values, "0")
        numbers = cleaned.cast(pa.int64()).to_numpy(zero_copy_only=False)
    else:
        table.report(column, given, f"must be a whole number, not {values.type}")
        return out
    table.report(column, given & ~ok, "must be a whole number")
    ok &= given
    table.report(column, ok & (numbers < low), f"must be >= {low}")
    table.report(column, ok & (numbers > high), f"must be <= {high}")
    ok &= (numbers >= low) & (numbers <= high)
    out[ok] = numbers[ok]
    return out


@dataclass
class Instants:
    """A column of instants: wall-clock seconds (naive rows) or UTC seconds (aware rows)."""

    seconds: np.ndarray  # int64; wall time as if UTC where naive, true UTC where aware
    aware: np.ndarray  # bool
    ok: np.ndarray  # bool: parsed

    def epoch(self, clock: Clock) -> np.ndarray:
        """Epoch seconds of every row (naive rows are wall time in the clock's zone)."""
        out = self.seconds.copy()
        naive = self.ok & ~self.aware
        if naive.any():
            out[naive] = wall_to_epoch(self.seconds[naive], clock)
        return out

    def datetimes(self, rows: np.ndarray) -> list:
        """Python datetimes of some rows: naive wall times, or aware ones in UTC."""
        stamps = self.seconds[rows].astype("datetime64[s]").tolist()
        aware = self.aware[rows].tolist()
        if not any(aware):
            return stamps
        import datetime as dt
        return [s.replace(tzinfo=dt.timezone.utc) if a else s for s, a in zip(stamps, aware)]


def wall_to_epoch(wall: np.ndarray, clock: Clock) -> np.ndarray:
    """Epoch seconds of wall times in the clock's zone, with `Clock.epoch`'s rule (fold=0)."""
    import pandas as pd

    local = pd.DatetimeIndex(wall.astype("datetime64[s]"))
    try:
        placed = local.tz_localize(clock.zone_name, ambiguous="NaT", nonexistent="NaT")
    except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
        placed = None
    if placed is None:  # beyond pandas' range: the exact rule, one value at a time
        return np.array([clock.epoch(t) for t in wall.astype("datetime64[s]").tolist()],
                        dtype=np.int64)
    out = placed.as_unit("s").asi8.copy()
    odd = np.asarray(placed.isna())
    if odd.any():  # times in a DST gap or repeated by a fall-back: the exact rule
        out[odd] = [clock.epoch(t) for t in wall[odd].astype("datetime64[s]").tolist()]
    return out


def instant(table: Table, column: str, given: np.ndarray) -> Instants:
    """Times 'YYYY-MM-DD HH:MM:SS' (or with T, or with an offset), or Parquet timestamps."""
    n = table.rows
    seconds, aware, ok = np.zeros(n, np.int64), np.zeros(n, bool), np.zeros(n, bool)
    result = Instants(seconds, aware, ok)
    if not given.any():
        return result
    values = table.column(column)
    if pa.types.is_timestamp(values.type):
        stamps = values.cast(pa.timestamp("s", values.type.tz), safe=False)
        whole = pc.equal(values.cast(pa.timestamp("s", values.type.tz), safe=False)
                         .cast(values.type), values).fill_null(True)
        ok[:] = np.asarray(whole.to_numpy(zero_copy_only=False), bool) & given
        seconds[:] = stamps.cast(pa.int64()).fill_null(0).to_numpy()
        aware[:] = values.type.tz is not None
        table.report(column, given & ~ok, "times are whole seconds")
        return result
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        table.report(column, given, f"must be a time YYYY-MM-DD HH:MM:SS, not {values.type}")
        return result
    values = pc.utf8_trim_whitespace(values)
    for formats, is_aware in ((_TIME_NAIVE, False), (_TIME_AWARE, True)):
        for fmt in formats:
            todo = given & ~ok
            if not todo.any():
                break
            text_in = pc.replace_substring_regex(values, _OFFSET_COLON.pattern, r"\1\2") \
                if is_aware else values
            stamps = pc.strptime(text_in, format=fmt, unit="s", error_is_null=True)
            if is_aware:
                # strptime gives UTC; writing it back in UTC cannot check the date, so
                # check the wall-clock part instead (below, with the naive parse).
                wall = pc.strptime(pc.utf8_slice_codeunits(values, 0, 19),
                                   format=fmt[:-2], unit="s", error_is_null=True)
                round_trip = pc.equal(pc.strftime(wall, format=fmt[:-2]),
                                      pc.utf8_slice_codeunits(values, 0, 19))
            else:
                # strptime is lenient (2023-02-30 becomes 2023-03-02): insist on a round trip.
                round_trip = pc.equal(pc.strftime(stamps, format=fmt), values)
            parsed = np.asarray(pc.and_(stamps.is_valid(), round_trip.fill_null(False))
                                .to_numpy(zero_copy_only=False), bool) & todo
            if parsed.any():
                numbers = stamps.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
                seconds[parsed] = numbers[parsed]
                aware[parsed] = is_aware
                ok |= parsed
    table.report(column, given & ~ok, "must be a time of the form YYYY-MM-DD HH:MM:SS "
                                      "(an existing date, whole seconds)")
    return result


def in_window(table: Table, column: str, epochs: np.ndarray, rows: np.ndarray,
              window: tuple[int, int] | None, shown: Callable[[int], str]) -> np.ndarray:
    """Rows whose instant lies in [start, end); the others are reported."""
    if window is None:
        return rows
    start, end = window
    before, after = rows & (epochs < start), rows & (epochs >= end)
    table.report(column, before, f"is before start ({shown(start)}); the window is "
                                 "[start, end)")
    table.report(column, after, f"is at or after end ({shown(end)}); the window is "
                                "[start, end)")
    return rows & ~before & ~after

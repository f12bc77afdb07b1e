"""Tables of what-if outputs: exact DataFrames, and CSV files written one at a time.

Unlike `Result.write`, a what-if folder is not replaced as a whole: each file is written to
a temporary name and renamed, so an interrupted write never leaves half a file.
"""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

import pandas as pd


def write_csv(path: Path, header: list[str], rows) -> Path:
    """Write `rows` under `header` to `path` (folders created), replacing it atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def hours_text(hours: float) -> str:
    """Hours as a short decimal (at most 6 places, no float noise): 12, 0.5, 0.333333."""
    text = f"{hours:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


NUMERIC = {"unusable_hours": "float64", "usage_hours": "float64", "refused_operations": "int64",
           "quantity": "int64", "phones": "int64", "k": "int64", "hours_per_month": "int64"}


def frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """A DataFrame of `rows`: known count/hour columns numeric, everything else object.

    Object columns keep Decimal money exact and None as None (pandas would otherwise
    infer floats or its string dtype, where None becomes NaN).
    """
    return pd.DataFrame({
        c: pd.Series([r[c] for r in rows], dtype=NUMERIC.get(c, object)) for c in columns
    }, columns=columns)

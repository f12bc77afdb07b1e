"""Figures from output files: a run folder, compare.csv, breakeven(-curves).csv -> PNG + SVG."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ._style import save, style

RUN_FIGURES = ("timeline", "money")


def plot_results(results_dir: str | Path, out_dir: str | Path | None = None) -> list[Path]:
    """Draw every figure the folder's outputs allow; return the files written (PNG, SVG).

    A run folder (summary.json and its CSVs) gives the lifecycle timeline and the money
    figure; compare.csv and breakeven.csv / breakeven-curves.csv add their own figures.
    """
    folder = Path(results_dir)
    out = Path(out_dir) if out_dir is not None else folder
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such results folder")
    written: list[Path] = []
    if (folder / "summary.json").exists():  # read_results checks every file first
        with style():
            for stem, fig in run_figures(folder).items():
                written += save(fig, out, stem)
    if (folder / "compare.csv").exists():
        written += plot_compare(folder / "compare.csv", out)
    if _breakeven_file(folder) is not None:
        written += plot_breakeven(folder, out)
    if (folder / "commitment.csv").exists():
        written += plot_commitment(folder / "commitment.csv", out)
    if (folder / "sweep-summary.csv").exists():
        written += plot_sweep(folder, out)
    if not written:
        raise FileNotFoundError(f"{folder}: nothing to plot (no summary.json, compare.csv, "
                                "breakeven.csv, commitment.csv or sweep-summary.csv)")
    return written


def run_figures(results_dir: str | Path) -> dict:
    """The lifecycle timeline and money figures of a run folder (matplotlib Figures, drawn
    under `style()`), by stem; for callers that place them themselves (the report)."""
    from ._data import load_run
    from .money import money_figure
    from .timeline import timeline_figure

    with style():
        run = load_run(results_dir)
        return {"timeline": timeline_figure(run), "money": money_figure(run)}


def plot_compare(path_or_df: str | Path | pd.DataFrame, out_dir: str | Path | None = None, *,
                 scenario: str | None = None, currency: str | None = None) -> list[Path]:
    """compare.csv (or `Comparison.table`) -> compare.png/.svg in out_dir."""
    from .whatif import compare_figure

    return _what_if(compare_figure, "compare", path_or_df, out_dir, scenario, currency)


def plot_sweep(source, out_dir: str | Path | None = None, *, name: str | None = None,
               currency: str = "USD") -> list[Path]:
    """A sweep folder (sweep-summary.csv, sweep.csv) or a SweepResult -> sweep.png/.svg:
    cost per variant with its P5-P95 band, flagged variants marked."""
    from .sweep import sweep_figure

    if hasattr(source, "summary") and hasattr(source, "table"):  # a SweepResult
        summary, table, folder = source.summary, source.table, None
        name = name or getattr(source, "name", "")
    else:
        folder = Path(source)
        summary = pd.read_csv(folder / "sweep-summary.csv", dtype=str, keep_default_na=False)
        table = (pd.read_csv(folder / "sweep.csv", dtype=str, keep_default_na=False)
                 if (folder / "sweep.csv").exists() else None)
        name = name or _name(folder)
    out = _out(out_dir, folder)
    with style():
        return save(sweep_figure(summary, table, name=name or "", currency=currency), out,
                    "sweep")


def plot_commitment(path_or_df: str | Path | pd.DataFrame, out_dir: str | Path | None = None,
                    *, scenario: str | None = None, currency: str | None = None) -> list[Path]:
    """commitment.csv (or `Recommendation.commitment`) -> commitment.png/.svg in out_dir."""
    from .whatif import commitment_figure

    return _what_if(commitment_figure, "commitment", path_or_df, out_dir, scenario, currency)


def plot_breakeven(path_or_df: str | Path | pd.DataFrame, out_dir: str | Path | None = None,
                   *, title: str | None = None, currency: str | None = None) -> list[Path]:
    """breakeven.csv or breakeven-curves.csv (or their DataFrames) -> breakeven.png/.svg."""
    from .whatif import breakeven_figure

    if not isinstance(path_or_df, pd.DataFrame) and Path(path_or_df).is_dir():
        path_or_df = _breakeven_file(Path(path_or_df)) or Path(path_or_df) / "breakeven.csv"
    table, folder = _table(path_or_df, "breakeven.csv")
    out = _out(out_dir, folder)
    with style():
        fig = breakeven_figure(table, title=title or "Break-even",
                               currency=currency or _summary(folder).get("currency", "USD"))
        return save(fig, out, "breakeven")


def _what_if(figure, stem: str, path_or_df, out_dir, scenario, currency) -> list[Path]:
    """STEM.csv (or its DataFrame) -> STEM.png/.svg, titled by the folder's scenario."""
    table, folder = _table(path_or_df, f"{stem}.csv")
    meta = _summary(folder)
    with style():
        fig = figure(table, scenario=scenario or meta.get("scenario", _name(folder)),
                     currency=currency or meta.get("currency", "USD"))
        return save(fig, _out(out_dir, folder), stem)


def _breakeven_file(folder: Path) -> Path | None:
    for name in ("breakeven.csv", "breakeven-curves.csv"):
        if (folder / name).exists():
            return folder / name
    return None


def _table(path_or_df, default_name: str) -> tuple[pd.DataFrame, Path | None]:
    """A DataFrame as given, or a CSV read as strings (a folder means its default file)."""
    if isinstance(path_or_df, pd.DataFrame):
        return path_or_df, None
    path = Path(path_or_df)
    if path.is_dir():
        path = path / default_name
    return pd.read_csv(path, dtype=str, keep_default_na=False), path.parent


def _summary(folder: Path | None) -> dict:
    if folder is None or not (folder / "summary.json").exists():
        return {}
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def _name(folder: Path | None) -> str:
    return folder.resolve().name if folder is not None else ""


def _out(out_dir, folder: Path | None) -> Path:
    if out_dir is not None:
        return Path(out_dir)
    if folder is None:
        raise ValueError("out_dir is required when a DataFrame is given")
    return folder

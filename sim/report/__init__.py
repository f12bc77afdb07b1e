"""One self-contained HTML report of a results folder: `write_report(folder, out=None)`.

The page holds everything (style, sortable-table script, SVG figures): it opens from a USB
stick or an email attachment, with no network. It is read from the folder's files only
(`sim.read_results` and the what-if CSVs), and the same folder gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

from .build import REPORT_FILE, report_html

__all__ = ["write_report", "report_html", "REPORT_FILE"]


def write_report(results_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the report of `results_dir` to `out` (default: RESULTS_DIR/report.html)."""
    folder = Path(results_dir)
    target = Path(out) if out is not None else folder / REPORT_FILE
    page = report_html(folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(page, encoding="utf-8", newline="\n")
    tmp.replace(target)  # whole or not at all
    return target

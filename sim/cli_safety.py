"""Safety helpers of `koophone-sim run`: what may be replaced, and `--strict` reports.

Kept out of cli.py so that file stays a list of thin commands.
"""

from __future__ import annotations

import json
from pathlib import Path

EXIT_REFUSED = 3  # run --strict: outputs written, but some operation was refused
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT (128 + 2)
_SUMMARY_KEYS = {"scenario", "final_balance", "total_cost", "phones"}
_MAX_SUMMARY_BYTES = 64 * 1024 * 1024


def looks_like_results(folder: Path) -> bool:
    """An earlier koophone-sim results folder: it holds a summary.json that we wrote.

    A folder holding only files with output names is not enough: `ledger.csv` alone may
    be someone's own ledger, and the run replaces the folder as a whole.
    """
    summary = folder / "summary.json"
    try:
        if not summary.is_file() or summary.stat().st_size > _MAX_SUMMARY_BYTES:
            return False
        data = json.loads(summary.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # unreadable, not UTF-8, not JSON
        return False
    return isinstance(data, dict) and _SUMMARY_KEYS <= data.keys()


def refused_lines(result) -> list[str]:
    """One line per refused operation: time, phone, the reason (from notifications)."""
    notes = result.notifications
    refused = notes[notes["kind"] == "operation_refused"]
    return [f"  {time.isoformat()} {phone or '-'}: {detail}"
            for time, phone, detail in zip(refused["time"], refused["phone"],
                                           refused["detail"])]

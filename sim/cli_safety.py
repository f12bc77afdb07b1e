"""Exit codes and `--strict` reports of `koophone-sim run` (what may be replaced: atomic.py).

Kept out of cli.py so that file stays a list of thin commands.
"""

from __future__ import annotations

EXIT_REFUSED = 3  # run --strict: outputs written, but some operation was refused
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT (128 + 2)


def refused_lines(result) -> list[str]:
    """One line per refused operation: time, phone, the reason (from notifications)."""
    notes = result.notifications
    refused = notes[notes["kind"] == "operation_refused"]
    return [f"  {time.isoformat()} {phone or '-'}: {detail}"
            for time, phone, detail in zip(refused["time"], refused["phone"],
                                           refused["detail"])]

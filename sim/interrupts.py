"""Stopping a run: SIGTERM handled as Ctrl-C, and named points where tests pause a process.

Standard library only, so the command line can install the handlers before anything heavy
is imported.
"""

from __future__ import annotations

import os
import signal
import sys
import time

PAUSE_ENV = "KOOPHONE_PAUSE_AT"  # tests: "NAME" or "NAME:SECONDS" (default 20 s)


class Terminated(KeyboardInterrupt):
    """SIGTERM: stops a run the way Ctrl-C does (outputs whole or absent, no leftovers)."""


def _raise_terminated(signum, frame):
    raise Terminated


def handle_sigterm() -> None:
    """Make SIGTERM raise `Terminated` in the main thread, as SIGINT raises KeyboardInterrupt."""
    signal.signal(signal.SIGTERM, _raise_terminated)


def pause_point(name: str) -> None:
    """If KOOPHONE_PAUSE_AT names this point, say so on stderr and wait there.

    A test waits for the `paused at NAME` line, then signals or kills the process at that
    exact point. The pause ends after its seconds, on SIGUSR1, or when a signal handler
    raises (Ctrl-C, SIGTERM).
    """
    wanted = os.environ.get(PAUSE_ENV)
    if not wanted or wanted.split(":")[0] != name:
        return
    seconds = float(wanted.split(":")[1]) if ":" in wanted else 20.0
    resumed: list[int] = []
    previous = signal.signal(signal.SIGUSR1, lambda signum, frame: resumed.append(signum))
    try:
        sys.stderr.write(f"paused at {name}\n")
        sys.stderr.flush()
        deadline = time.monotonic() + seconds
        while not resumed and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        signal.signal(signal.SIGUSR1, previous)


EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT (128 + 2)
EXIT_TERMINATED = 143  # SIGTERM (128 + 15)


def stopped(exc: KeyboardInterrupt, prog: str) -> int:
    """Say on stderr, in one line, that the run was stopped; return its exit code."""
    how, code = (("terminated", EXIT_TERMINATED) if isinstance(exc, Terminated)
                 else ("interrupted", EXIT_INTERRUPTED))
    sys.stderr.write(f"{prog}: {how}; no results folder is left half-written\n")
    sys.stderr.flush()
    return code

"""Command line `koophone-sim`: one module per command family, each a thin layer over the API.

`app` holds the group, exit codes and error reporting; `run` simulates, validates and plots;
`report` writes one self-contained HTML page of a results folder;
`whatif` compares, finds break-even points and recommends; `sweep` runs a grid of variants;
`commands` registers them all. This package itself imports nothing heavy, so `main` handles
Ctrl-C and SIGTERM from the first moment.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys

from sim.interrupts import handle_sigterm, pause_point, stopped

PROG = "koophone-sim"


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (`koophone-sim`, `python -m sim`).

    A Ctrl-C (or SIGTERM) at any moment, imports and exit included, ends in one stderr
    line and exit 130 (143), never a traceback or a silent death by the signal; a closed
    stdout pipe ends quietly with 141. It ends the process itself: call it only as the
    program's entry point (tests invoke `cli`).
    """
    handle_sigterm()
    try:
        pause_point("imports")
        from sim.cli.app import OWN_PROCESS
        from sim.cli.commands import cli

        try:
            try:
                cli.main(args=argv, prog_name=PROG, obj={OWN_PROCESS: True})
                code = 0
            except SystemExit as exc:  # click always ends this way
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
            pause_point("exiting")
            sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        except BrokenPipeError:
            from sim.cli.app import EXIT_CLOSED_PIPE, silence_stdout

            silence_stdout()
            code = EXIT_CLOSED_PIPE
        atexit._run_exitfuncs()  # what the interpreter's exit would run (pools, clusters)
    except KeyboardInterrupt as exc:  # outside a command (commands report their own)
        code = stopped(exc, PROG)
    # Leave without the interpreter's teardown: it restores the default signal actions
    # while it frees a large run's memory, so a Ctrl-C then killed the process silently.
    if hasattr(signal, "pthread_sigmask"):  # POSIX; elsewhere the window stays open
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def __getattr__(name: str):
    if name == "cli":  # the group, with every command (loads click, pandas, the engine)
        from sim.cli.commands import cli

        return cli
    raise AttributeError(f"module 'sim.cli' has no attribute {name!r}")


__all__ = ["cli", "main", "PROG"]

"""Command line `koophone-sim`: one module per command family, each a thin layer over the API.

`app` holds the group, exit codes and error reporting; `run` simulates, validates and plots;
`whatif` compares, finds break-even points and recommends; `sweep` runs a grid of variants.
"""

from __future__ import annotations

import sys

from sim.cli.app import EXIT_CLOSED_PIPE, PROG, cli, silence_stdout
from sim.cli.run import plot, run, validate
from sim.cli.sweep import sweep_command
from sim.cli.whatif import breakeven, compare, recommend

for _command in (run, validate, plot, compare, breakeven, recommend, sweep_command):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (`koophone-sim`, `python -m sim`)."""
    try:
        try:
            cli.main(args=argv, prog_name=PROG)
        finally:
            sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
    except BrokenPipeError:
        silence_stdout()
        sys.exit(EXIT_CLOSED_PIPE)


__all__ = ["cli", "main"]

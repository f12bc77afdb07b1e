"""The `koophone-sim` group with every command registered (loaded by `sim.cli.main`)."""

from __future__ import annotations

from sim.cli.app import PROG, cli
from sim.cli.report import report
from sim.cli.run import plot, run, validate
from sim.cli.sweep import sweep_command
from sim.cli.whatif import breakeven, compare, recommend

for _command in (run, validate, plot, report, compare, breakeven, recommend, sweep_command):
    cli.add_command(_command)

__all__ = ["cli", "PROG"]

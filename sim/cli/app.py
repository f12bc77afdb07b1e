"""The `koophone-sim` command group: exit codes, error reporting, loading a scenario.

Exit codes (interface contract): 0 success, 2 invalid input (problems on stderr, nothing
written), 1 internal error (one line on stderr; the traceback only with KOOPHONE_DEBUG=1),
3 `run --strict` with refused operations (outputs written), 130 interrupted (Ctrl-C),
141 the reader of stdout went away (`koophone-sim run ... | head`), quietly, 143 terminated
(SIGTERM).
"""

from __future__ import annotations

import errno
import os
import sys
import traceback
from pathlib import Path

import click

from sim.interrupts import EXIT_INTERRUPTED, EXIT_TERMINATED, stopped
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.models import Scenario

EXIT_OK, EXIT_INTERNAL, EXIT_INVALID = 0, 1, 2
EXIT_REFUSED = 3  # run --strict: outputs written, but some operation was refused
EXIT_CLOSED_PIPE = 141  # stdout's reader closed the pipe, as shells report SIGPIPE (128 + 13)
DEBUG_ENV = "KOOPHONE_DEBUG"
# Set in the context object by the console entry point: the command is all the process does
# (not so under a test runner or when the group is embedded).
OWN_PROCESS = "own_process"
PROG = "koophone-sim"
# A file with thousands of mistakes (or not a scenario at all) should not flood the
# terminal, nor echo a whole file back: the first ones are enough to start fixing it.
MAX_LISTED_PROBLEMS = 20


def plural(n: int, word: str) -> str:
    """`1 phone`, `2 phones`."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def report_invalid(exc: ScenarioError, file: object, what: str = "invalid scenario") -> None:
    """The file name line, then one `path: message` line per problem, on stderr."""
    click.echo(f"{exc.file or file}: {what} "
               f"({plural(len(exc.problems), 'problem')})", err=True)
    for problem in exc.problems[:MAX_LISTED_PROBLEMS]:
        click.echo(str(problem), err=True)
    more = len(exc.problems) - MAX_LISTED_PROBLEMS
    if more > 0:
        click.echo(f"... and {plural(more, 'more problem')}", err=True)


def _report_internal(exc: BaseException) -> None:
    if os.environ.get(DEBUG_ENV) == "1":
        traceback.print_exception(exc, file=sys.stderr)
    reason = " ".join(str(exc).split()) or type(exc).__name__
    hint = "" if os.environ.get(DEBUG_ENV) == "1" else f" (set {DEBUG_ENV}=1 for details)"
    click.echo(f"{PROG}: internal error: {type(exc).__name__}: {reason}{hint}", err=True)


def silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush into a closed pipe is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real stdout (e.g. under a test runner)
        pass


_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


def _device(path: Path) -> Path:
    """The mount point holding `path` (the nearest existing folder's file system)."""
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    dev = path.stat().st_dev
    while path != path.parent and path.parent.stat().st_dev == dev:
        path = path.parent
    return path


def write_failed(exc: OSError, where: Path, whole: bool = False) -> click.exceptions.Exit:
    """One line for an output that could not be written (a full disk named as such); exit 1.

    `whole`: the outputs were being swapped in whole, so none of them was written.
    """
    kept = "; nothing was written, earlier results are kept" if whole else ""
    if exc.errno in _NO_SPACE:
        click.echo(f"{PROG}: no space left on {_device(where)} (writing {where}){kept}",
                   err=True)
    else:
        click.echo(f"{PROG}: cannot write the outputs to {where}: "
                   f"{exc.strerror or exc}{kept}", err=True)
    return click.exceptions.Exit(EXIT_INTERNAL)


class _Guarded(click.Group):
    """Turns ScenarioError into exit 2 and any other failure into a one-line exit 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit,
                click.exceptions.Abort):
            raise  # click's own usage errors (exit 2) and exits
        except ScenarioError as exc:
            report_invalid(exc, ctx.params.get("scenario"))
            ctx.exit(EXIT_INVALID)
        except BrokenPipeError:
            # `run ... | head`: the reader has what it wanted; end like other command-line
            # tools do on SIGPIPE, without a message (results were already written whole).
            silence_stdout()
            ctx.exit(EXIT_CLOSED_PIPE)
        except KeyboardInterrupt as exc:
            # Ctrl-C or SIGTERM: one line, exit 130 or 143; outputs whole or not at all.
            ctx.exit(stopped(exc, PROG))
        except OSError as exc:
            if exc.errno not in _NO_SPACE:
                _report_internal(exc)
                ctx.exit(EXIT_INTERNAL)
            raise write_failed(exc, Path(exc.filename or ".")) from None
        except Exception as exc:
            _report_internal(exc)
            ctx.exit(EXIT_INTERNAL)


def load(path: Path) -> Scenario:
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        report_invalid(exc, path)
        raise click.exceptions.Exit(EXIT_INVALID) from None



@click.group(cls=_Guarded, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="koophone-sim", prog_name=PROG)
def cli() -> None:
    """Simulate how KooPhone cloud phones are billed over their whole life."""


def claim_folder(target: Path, stack, known, noun: str, ours=None):
    """Lock an output folder for this command (held by `stack`) and refuse an unsafe one
    (exit 2); what a killed writer left there is finished or removed, said in one line."""
    from sim.atomic import UnsafeOutputFolder, claimed

    try:
        claim = stack.enter_context(claimed(target, known, *([ours] if ours else [])))
    except UnsafeOutputFolder as exc:  # in use, a symlink loop, others' files inside
        raise click.BadParameter(f"{exc}; choose a new or a previous {noun} folder",
                                 param_hint="--out") from None
    if claim.recovered:
        click.echo(f"{PROG}: " + "; ".join(claim.recovered), err=True)
    return claim

"""One call run in a forked child process while this one goes on: real parallelism, no GIL.

Result.write gives the usage table (most of a big run's writing) to a child and writes the
other tables meanwhile. A thread did not pay: between its numpy calls it waited for the GIL
the pure-Python tables held (benchmarks/README.md). Linux only (`available`): the child is
a copy of this process (its arrays shared copy-on-write), killed with its parent.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
import struct
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_HEAD = struct.Struct("<cQ")  # a message: its kind, then its length or value
_PROGRESS, _RESULT = b"P", b"R"


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent ends, even by kill -9 (Linux:
    PR_SET_PDEATHSIG; elsewhere nothing). Used by the forked writer and sweep workers."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def available() -> bool:
    """Whether calls can be forked off here (Linux, where fork and prctl are safe to use)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


class Forked:
    """`fn(*args, progress=...)` running in a child; `result()` returns or raises as it did."""

    def __init__(self, fn: Callable, *args):
        read, write = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(read)
            _child(write, parent, fn, args)
        os.close(write)
        self.pid = pid
        self._pipe = os.fdopen(read, "rb")
        self._done = False

    def result(self, progress: Callable[[int], None] | None = None):
        """Wait for the call; `progress(n)` hears the child's progress meanwhile."""
        try:
            while head := self._pipe.read(_HEAD.size):
                kind, value = _HEAD.unpack(head)
                if kind == _PROGRESS:
                    if progress is not None:
                        progress(value)
                    continue
                outcome, payload = pickle.loads(self._pipe.read(value))
                break
            else:  # no result: the child died (killed, out of memory)
                outcome, payload = False, RuntimeError(
                    f"the process writing the usage table (pid {self.pid}) died")
        finally:
            self._reap()
        if not outcome:
            raise payload
        return payload

    def cancel(self) -> None:
        """Kill the child (the caller failed or was interrupted) and wait for it."""
        if not self._done:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self._reap()

    def _reap(self) -> None:
        if not self._done:
            self._done = True
            self._pipe.close()
            os.waitpid(self.pid, 0)


def _child(fd: int, parent: int, fn: Callable, args: tuple) -> None:
    """Run the call and send its outcome up the pipe; leave without any of the parent's
    clean-up (atexit, finally blocks up the stack, buffered files)."""
    code = 1
    try:
        # The parent handles Ctrl-C and SIGTERM and kills this child; a kill -9 of the
        # parent reaches it through the kernel.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        die_with_parent()
        if os.getppid() != parent:  # it died before the kernel could be asked
            return
        with os.fdopen(fd, "wb") as pipe:
            def progress(lines: int) -> None:
                pipe.write(_HEAD.pack(_PROGRESS, lines))
                pipe.flush()

            try:
                outcome = (True, fn(*args, progress=progress))
            except BaseException as exc:  # sent up whole: the parent raises it
                outcome = (False, exc)
            try:
                data = pickle.dumps(outcome)
            except Exception:
                data = pickle.dumps((False, RuntimeError(repr(outcome[1]))))
            pipe.write(_HEAD.pack(_RESULT, len(data)) + data)
            code = 0
    finally:
        os._exit(code)

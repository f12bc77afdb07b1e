"""Put a finished folder in place of another in one step, so no reader ever sees half of it.

`Result.write` fills a hidden temporary folder next to the target, then calls
`replace_folder`: the old folder is renamed aside, the new one renamed in, the old one
deleted. Ctrl-C is held back during the two renames (it is re-raised right after), so an
interrupt leaves either the previous results or the new ones, whole.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import threading
from pathlib import Path


@contextlib.contextmanager
def sigint_deferred():
    """Hold a Ctrl-C back until the block ends, then raise KeyboardInterrupt (main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals only reach the main thread
        return
    caught = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def replace_folder(new: Path, target: Path) -> None:
    """Move the complete folder `new` to `target`, replacing any folder already there."""
    aside, swapped = None, False
    try:
        with sigint_deferred():
            if target.exists():
                aside = target.with_name(f".{target.name}.old-{os.getpid()}")
                if aside.exists():
                    shutil.rmtree(aside)
                target.rename(aside)
            try:
                new.rename(target)
                swapped = True
            except BaseException:
                if aside is not None:
                    aside.rename(target)  # keep the previous results rather than none
                raise
    finally:  # also when a held-back Ctrl-C is re-raised: the new outputs are in place
        if swapped and aside is not None:
            shutil.rmtree(aside, ignore_errors=True)

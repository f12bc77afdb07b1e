"""Put a finished folder in place of another in one step, so no reader ever sees half of it.

`Result.write` fills a hidden temporary folder next to the target, then calls
`replace_folder`: the old folder is renamed aside, the new one renamed in, the old one
deleted. Ctrl-C is held back during the two renames (it is re-raised right after), so an
interrupt leaves either the previous results or the new ones, whole.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import threading
from collections.abc import Collection
from pathlib import Path

_SUMMARY_KEYS = {"scenario", "final_balance", "total_cost", "phones"}
_MAX_SUMMARY_BYTES = 64 * 1024 * 1024


class UnsafeOutputFolder(ValueError):
    """The target folder holds something a results folder must not replace."""


def looks_like_results(folder: Path) -> bool:
    """An earlier koophone-sim results folder: it holds a summary.json that we wrote.

    A folder holding only files with output names is not enough: `ledger.csv` alone may
    be someone's own ledger, and writing replaces the folder as a whole.
    """
    summary = folder / "summary.json"
    try:
        if not summary.is_file() or summary.stat().st_size > _MAX_SUMMARY_BYTES:
            return False
        data = json.loads(summary.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # unreadable, not UTF-8, not JSON
        return False
    return isinstance(data, dict) and _SUMMARY_KEYS <= data.keys()


def replace_refusal(target: Path, known: Collection[str]) -> str | None:
    """Why replacing `target` as a whole could delete something else, or None if it can't.

    It may be replaced when it does not exist, or is an earlier results folder holding
    only files named in `known`; never the working folder or a folder holding it.
    """
    target = Path(target).resolve()
    cwd = Path.cwd().resolve()
    if target == cwd or target in cwd.parents:
        return f"{target} is the working folder or holds it"
    if target.exists() and not target.is_dir():
        return f"{target} exists and is not a folder"
    if not target.is_dir():
        return None
    others = sorted(p.name for p in target.iterdir() if p.name not in known)
    if others:
        listed = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
        return f"{target} holds other files ({listed}) and would be replaced"
    if any(target.iterdir()) and not looks_like_results(target):
        return (f"{target} is not empty and does not look like koophone-sim results "
                "(no summary.json of a run) and would be replaced")
    return None


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

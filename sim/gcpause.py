"""Pause Python's cyclic garbage collector while a run builds millions of lasting objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with the cyclic collector off; restore it after.

    A fleet run only adds objects that live to its end (rows, phones, events), so each full
    collection rescans all of them to free nothing: at 50,000 phones that doubled the run.
    A run leaves no reference cycles behind (checked: a collection afterwards frees 0).
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()

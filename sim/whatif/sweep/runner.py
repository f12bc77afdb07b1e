"""Run sweep jobs in parallel: inline (1 worker), a local process pool, or a Dask cluster.

Each backend yields the rows of one variant as soon as it is done, in completion order;
the caller sorts. Ctrl-C cancels what has not run, stops the workers and closes a cluster
this module started, then re-raises KeyboardInterrupt. Dask is imported only here, only
when asked for.

A worker that dies (killed, out of memory) breaks a process pool and every variant it
held: those are re-run on a fresh pool, up to MAX_POOLS pools; variants still lost after
that (or lost by Dask) come back as rows marked `lost`. Pool workers die with the sweep's
process, so killing it never leaves them running.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import forkserver

from tqdm import tqdm

from sim.forked import die_with_parent
from sim.whatif.sweep.task import Base, Job, error_text, failed_rows, run_variant

MAX_POOLS = 4  # a first pool and three fresh ones for variants lost with a dead worker
_WATCH_SECONDS = 0.5


def run_jobs(base: Base, jobs: list[Job], *, workers: int | None = None, dask=None,
             progress: bool = True, desc: str = "sweep") -> list[dict]:
    """Every row of every job; `dask` is None, 'local', a scheduler address or a Client."""
    if workers is not None and workers < 1:
        raise ValueError("workers must be >= 1")
    if dask is not None:
        backend = _on_dask(base, jobs, dask, workers)
    elif workers == 1 or len(jobs) <= 1:
        backend = (run_variant(base, job) for job in jobs)
    else:
        backend = _on_pool(base, jobs, workers or os.cpu_count() or 1)
    rows: list[dict] = []
    # Not a terminal (a log file, CI): redraw rarely instead of ten times a second.
    every = 0.1 if sys.stderr.isatty() else 10.0
    with tqdm(total=len(jobs), unit="variant", desc=desc, disable=not progress,
              file=sys.stderr, dynamic_ncols=True, smoothing=0.05, mininterval=every) as bar:
        try:
            for variant_rows in backend:
                rows += variant_rows
                bar.update(1)
        finally:
            backend.close()  # runs the backend's clean-up now, even on Ctrl-C
    return rows


def lost_rows(job: Job, error: str) -> list[dict]:
    """Rows of a variant that could not be run at all (its worker died): `lost` marks them."""
    return [dict(row, lost=True) for row in failed_rows(job, error)]


class _Worker:
    """What a pool worker process holds: the base scenario, handed over once at its start."""

    base: Base | None = None


def _start_worker(base: Base, parent: int) -> None:
    # Ctrl-C reaches the whole process group: only the parent should react to it, so the
    # workers do not die mid-task with tracebacks of their own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with(parent)
    _Worker.base = base  # once per worker, not pickled again with every variant


def _die_with(parent: int) -> None:
    """End this worker when the sweep's process `parent` ends, even by kill -9.

    Linux: the kernel sends SIGKILL when our parent dies (PR_SET_PDEATHSIG; the parent is
    the sweep's process, or a forkserver that ends with it). Everywhere: a daemon thread
    notices we were re-parented or `parent` is gone, and exits.
    """
    die_with_parent()
    started_by = os.getppid()

    def gone() -> bool:
        if os.getppid() != started_by:
            return True
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            return True
        except OSError:  # e.g. not ours to signal: it exists
            return False
        return False

    if gone():  # it died before we could ask
        os._exit(1)

    def watch() -> None:
        while not gone():
            time.sleep(_WATCH_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def _run_in_worker(job: Job) -> list[dict]:
    return run_variant(_Worker.base, job)


def _on_pool(base: Base, jobs: list[Job], workers: int) -> Iterator[list[dict]]:
    pending = {job.variant: job for job in jobs}
    for _ in range(MAX_POOLS):
        yield from _one_pool(base, pending, workers)
        if not pending:
            return
    for job in pending.values():
        yield lost_rows(job, f"not run: its worker process died in each of {MAX_POOLS} "
                             "process pools")


def _one_pool(base: Base, pending: dict[int, Job], workers: int) -> Iterator[list[dict]]:
    """Run the pending jobs on one fresh pool; jobs done leave `pending`, lost ones stay."""
    executor = ProcessPoolExecutor(max_workers=min(workers, len(pending)),
                                   initializer=_start_worker, initargs=(base, os.getpid()))
    futures = {}
    try:
        try:
            for job in list(pending.values()):
                futures[executor.submit(_run_in_worker, job)] = job
        except BrokenProcessPool:
            pass  # a worker died already: the jobs not submitted wait for the next pool
        for future in as_completed(futures):
            job = futures[future]
            try:
                rows = future.result()
            except BrokenProcessPool:
                continue  # a worker died: this variant is run again on a fresh pool
            except Exception as exc:  # e.g. rows that could not be sent back
                rows = failed_rows(job, error_text(exc))
            del pending[job.variant]
            yield rows
    except BaseException:
        for future in futures:
            future.cancel()
        # No public API stops a running task: end the workers themselves.
        for process in list((getattr(executor, "_processes", None) or {}).values()):
            process.terminate()
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def _ignoring_sigint():
    """Ignore Ctrl-C for a moment (main thread only), then restore the previous handler."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: signals are not ours to change
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _immune_workers(stack: contextlib.ExitStack) -> None:
    """Make the local cluster's worker processes leave Ctrl-C to this process.

    Ctrl-C reaches the whole process group; workers that died of it would fill the screen
    with Dask tracebacks. Workers are forked from a forkserver started while Ctrl-C is
    ignored: an ignored signal stays ignored across exec, and the forkserver hands its
    start-up handlers on to every worker. Only that instant ignores Ctrl-C here.
    """
    import dask
    from distributed.utils import get_mp_context

    if "forkserver" not in multiprocessing.get_all_start_methods():  # Windows
        return
    stack.enter_context(dask.config.set({"distributed.worker.multiprocessing-method":
                                         "forkserver"}))
    get_mp_context()  # lets distributed preload its modules into the forkserver
    with _ignoring_sigint():
        forkserver.ensure_running()


def _on_dask(base: Base, jobs: list[Job], target, workers: int | None) -> Iterator[list[dict]]:
    from distributed import Client, LocalCluster, as_completed as dask_completed

    cluster = client = None
    own_client = not isinstance(target, Client)
    futures = []
    try:
        with contextlib.ExitStack() as stack:
            if not own_client:
                client = target
            elif target == "local":
                n = workers or os.cpu_count() or 1
                _immune_workers(stack)
                # Start empty, then add workers: from here on the cluster can be closed.
                cluster = LocalCluster(n_workers=0, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.ERROR)
                cluster.scale(n)
                client = Client(cluster)
                client.wait_for_workers(n)
            else:  # a scheduler address, or a cluster object
                client = Client(target)
            shared = client.scatter(base, broadcast=True, hash=False)
            run = uuid.uuid4().hex[:8]  # unique keys: a second sweep on one cluster re-runs
            futures = [client.submit(run_variant, shared, job, key=f"sweep-{run}-{job.variant}")
                       for job in jobs]
            by_key = {future.key: job for future, job in zip(futures, jobs)}
            for future in dask_completed(futures):
                try:
                    yield future.result()
                except Exception as exc:  # run_variant never raises: a worker lost (KilledWorker)
                    yield lost_rows(by_key[future.key], error_text(exc))
    except BaseException:
        if futures and client is not None:
            client.cancel(futures)
        raise
    finally:
        if own_client and client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

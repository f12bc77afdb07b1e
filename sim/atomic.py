"""Results folders written whole or not at all, by one process at a time, crash-recoverable.

A writer locks `.NAME.lock` beside the folder, fills `.NAME.part-PID`, renames it
`.NAME.new-PID` once complete (the commit point), moves the old folder to `.NAME.old-PID`,
the new one in, and deletes the old one. A kill at any step leaves a state the next writer
(under the same lock) finishes or undoes: `recover`. Ctrl-C and SIGTERM are held back from
the commit to the end of the clean-up, so they never leave a hidden folder behind.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import signal
import threading
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .interrupts import pause_point

_SUMMARY_KEYS = {"scenario", "final_balance", "total_cost", "phones"}
_MAX_SUMMARY_BYTES = 64 * 1024 * 1024
_DEFERRED = (signal.SIGINT, signal.SIGTERM)


class UnsafeOutputFolder(ValueError):
    """The target folder holds something a results folder must not replace."""


class FolderInUse(UnsafeOutputFolder):
    """Another process is writing the same results folder."""


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


def checked_target(target: str | os.PathLike) -> Path:
    """`target` with symlinks resolved; a symlink loop or a dangling link is refused."""
    given = Path(target)
    try:
        resolved = given.resolve(strict=False)
    except (RuntimeError, OSError) as exc:  # RuntimeError: 3.11's report of a loop
        raise UnsafeOutputFolder(f"{given} goes through a symlink loop") from exc
    for path in (given, *given.parents):  # a dangling link would create its target
        if path.is_symlink() and not path.exists():
            raise UnsafeOutputFolder(f"{given}: {path} is a symlink to "
                                     f"{os.readlink(path)}, which does not exist")
    return resolved


def _foreign(target: Path, known: Collection[str]) -> str | None:
    """The first entry of `target` a run did not write: a sub-folder's file, a link, ..."""
    for entry in sorted(target.iterdir()):
        if entry.name not in known:
            return entry.name
        if entry.is_symlink() or not entry.is_file():
            inside = sorted(entry.rglob("*")) if entry.is_dir() and not entry.is_symlink() else []
            first = next((p for p in inside if not p.is_dir()), inside[0] if inside else None)
            return str(first.relative_to(target)) if first else entry.name + "/"
    return None


def replace_refusal(target: Path, known: Collection[str],
                    ours: Callable[[Path], bool] = looks_like_results) -> str | None:
    """Why replacing `target` as a whole could delete something else, or None if it can't.

    It may be replaced when it does not exist, or is an earlier results folder (`ours`,
    by default a run's) holding only regular files named in `known`; never the working
    folder or a folder holding it.
    """
    target = checked_target(target)
    cwd = Path.cwd().resolve()
    if target == cwd or target in cwd.parents:
        return f"{target} is the working folder or holds it"
    if target.exists() and not target.is_dir():
        return f"{target} exists and is not a folder"
    if not target.is_dir():
        return None
    other = _foreign(target, known)
    if other is not None:
        return (f"{target} holds other files ({other}), which a run did not write, "
                "and would be replaced")
    if any(target.iterdir()) and not ours(target):
        what = "(no summary.json of a run)" if ours is looks_like_results else ""
        return (f"{target} is not empty and does not look like koophone-sim results "
                f"{what} and would be replaced").replace("  ", " ")
    return None


@contextlib.contextmanager
def signals_deferred():
    """Hold Ctrl-C and SIGTERM back until the block ends, then deliver them (main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals only reach the main thread
        return
    caught: list[int] = []
    previous = {s: signal.signal(s, lambda signum, frame: caught.append(signum))
                for s in _DEFERRED}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    for signum in dict.fromkeys(caught):  # as if it arrived now: the usual handler acts
        signal.raise_signal(signum)


def _sibling(target: Path, kind: str, pid: int | None = None) -> Path:
    return target.with_name(f".{target.name}.{kind}-{os.getpid() if pid is None else pid}")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink(missing_ok=True)


def _roll_forward(target: Path, pid: int | None = None) -> str | None:
    """Finish a committed swap of process `pid` (or undo a failed one); say what was done."""
    new, old = _sibling(target, "new", pid), _sibling(target, "old", pid)
    done = None
    if new.exists():  # committed: the new folder is complete
        if target.exists() or target.is_symlink():
            _remove(old)
            target.rename(old)
            pause_point("swap")  # tests kill here: the next writer must finish the swap
        new.rename(target)
        done = "finished its swap"
    if old.exists():
        if target.exists():
            pause_point("deleting")
            _remove(old)
        else:  # the new folder could not be moved in: the previous results go back
            old.rename(target)
            done = "put the previous results back"
    return done


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _size(path: Path) -> int:
    if not path.is_dir():
        return path.lstat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*"))


_LEFTOVER = re.compile(r"\.(?P<name>.+)\.(?P<kind>part|new|old)-(?P<pid>\d+)\Z")


def recover(target: Path) -> list[str]:
    """Finish or undo what dead writers of `target` left beside it; one line per process.

    Call with the folder's lock held: a live writer would hold it, so any leftover is a
    dead process's.
    """
    leftovers: dict[int, int] = {}
    for entry in target.parent.iterdir():
        match = _LEFTOVER.match(entry.name)
        if match and match["name"] == target.name:
            pid = int(match["pid"])
            leftovers[pid] = leftovers.get(pid, 0) + _size(entry)
    said = []
    for pid, size in sorted(leftovers.items()):
        _remove(_sibling(target, "part", pid))  # never complete: nothing to keep
        done = _roll_forward(target, pid)
        said.append(f"process {pid} was stopped while writing {target.name}: "
                    + (done or f"removed its unfinished folder ({size / 1e6:.1f} MB)"))
    return said


class _Lock:
    """An exclusive lock on `.NAME.lock` beside the folder, removed when released."""

    def __init__(self, target: Path):
        self.target = target
        self.path = target.with_name(f".{target.name}.lock")
        self.fd: int | None = None

    def acquire(self) -> None:
        import fcntl  # POSIX only, as the rest of the swap

        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                raise FolderInUse(f"{self.target} is in use by "
                                  f"{self._holder()}; try again when it has finished") from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:  # else its holder removed it as we opened it: lock the new one
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd

    def _holder(self) -> str:
        try:
            pid = self.path.read_text(encoding="ascii").strip()
        except (OSError, ValueError):
            pid = ""
        return f"process {pid}" if pid.isdigit() else "another process"

    def release(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()  # before unlocking: a waiter then sees a new file
            os.close(self.fd)
            self.fd = None


@dataclass
class Claim:
    """A results folder locked for writing, its dead writers' leftovers dealt with."""

    target: Path
    known: Collection[str]
    recovered: list[str] = field(default_factory=list)

    def fill(self, write: Callable[[Path], None], *, durable: bool = False) -> Path:
        """Call `write(folder)` on a fresh hidden folder, then swap it in whole for target.

        `durable` also flushes every file and both folders to disk (fsync) before and
        after the swap, so a power loss leaves the old or the new results, whole.
        """
        part = _sibling(self.target, "part")
        _remove(part)
        os.mkdir(part)  # 0o777 less the umask, as the user's other folders
        try:
            write(part)
            pause_point("written")
            if durable:
                for path in sorted(part.rglob("*")):
                    _fsync(path)
                _fsync(part)
            with signals_deferred():
                part.rename(_sibling(self.target, "new"))  # the commit point
                if durable:
                    _fsync(self.target.parent)
                _roll_forward(self.target)
                if durable:
                    _fsync(self.target.parent)
        except BaseException:
            with signals_deferred():  # a second Ctrl-C must not leave a hidden folder
                _remove(part)
                _remove(_sibling(self.target, "new"))  # the swap itself failed: undo it
                _roll_forward(self.target)
            raise
        return self.target


@contextlib.contextmanager
def claimed(target: str | os.PathLike, known: Collection[str],
            ours: Callable[[Path], bool] = looks_like_results) -> Iterator[Claim]:
    """Lock `target` for writing, recover what dead writers left, refuse an unsafe folder.

    Raises FolderInUse when another process holds it, UnsafeOutputFolder when replacing
    it could delete something a run did not write (`replace_refusal`).
    """
    path = checked_target(target)
    created = [p for p in path.parents if not p.exists()]  # deepest first
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = _Lock(path)
    try:
        lock.acquire()
        recovered = recover(path)
        refusal = replace_refusal(path, known, ours)
        if refusal is not None:
            raise UnsafeOutputFolder(refusal)
        yield Claim(path, known, recovered)
    finally:
        with signals_deferred():
            lock.release()
            if not path.exists():  # nothing written: no empty parent folders either
                for folder in created:
                    with contextlib.suppress(OSError):
                        folder.rmdir()


def write_whole(target: str | os.PathLike, known: Collection[str],
                write: Callable[[Path], None], *, durable: bool = False,
                ours: Callable[[Path], bool] = looks_like_results) -> Path:
    """Lock `target`, recover, check, and replace it whole by what `write(folder)` puts in."""
    with claimed(target, known, ours) as claim:
        return claim.fill(write, durable=durable)

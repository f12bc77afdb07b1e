"""Each output's size and SHA-256, listed in summary.json (written last), and their check.

A power loss or a full disk can leave a file short or garbled without any error at read
time; every reader of a results folder calls `verify_results` first and is told which file
is damaged. Hashing reads each file once (~1.2 GB/s here), after it is written; the usage
CSV, the one large file, is hashed as it is written, on the writer's thread.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

FILES_KEY = "files"  # summary.json: {name: {"bytes": int, "sha256": hex}}
_CHUNK = 1 << 20


class DamagedResults(ValueError):
    """A results folder whose files do not match what summary.json says was written."""

    def __init__(self, folder: Path, file: str, problem: str):
        super().__init__(f"{folder}: {file} {problem}; run the scenario again to rewrite it")
        self.folder, self.file, self.problem = folder, file, problem


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_entries(folder: Path, skip: str = "summary.json",
                 known: dict[str, dict] | None = None) -> dict[str, dict]:
    """{name: {"bytes", "sha256"}} for every file in `folder` but `skip`, by name.

    `known` holds entries of files hashed as they were written (the usage CSV); a known
    entry whose size is not the file's is not trusted: that file is read and hashed.
    """
    known = known or {}
    out = {}
    for p in sorted(folder.iterdir()):
        if p.name == skip or not p.is_file():
            continue
        size = p.stat().st_size
        entry = known.get(p.name)
        out[p.name] = entry if entry and entry["bytes"] == size else {
            "bytes": size, "sha256": sha256_of(p)}
    return out


def read_summary(folder: str | os.PathLike) -> dict:
    """summary.json of a results folder, or DamagedResults naming what is wrong with it."""
    folder = Path(folder)
    path = folder / "summary.json"
    if not path.is_file():
        raise DamagedResults(folder, "summary.json", "is missing")
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise DamagedResults(folder, "summary.json", "is not valid JSON (cut short?)") from None
    if not isinstance(summary, dict):
        raise DamagedResults(folder, "summary.json", "is not a JSON object")
    return summary


def verify_results(folder: str | os.PathLike) -> dict:
    """Check every file summary.json lists (size, then SHA-256); return the summary.

    Folders written before checksums were recorded (no `files` key) are accepted as they
    are. Raises DamagedResults naming the first missing, short or altered file.
    """
    folder = Path(folder)
    summary = read_summary(folder)
    listed = summary.get(FILES_KEY)
    if listed is None:
        return summary
    if not isinstance(listed, dict):
        raise DamagedResults(folder, "summary.json", f"has a malformed '{FILES_KEY}' entry")
    for name, entry in listed.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("bytes"), int):
            raise DamagedResults(folder, "summary.json", f"has a malformed entry for {name}")
        path = folder / name
        if not path.is_file():
            raise DamagedResults(folder, name, "is missing")
        size = path.stat().st_size
        if size != entry.get("bytes"):
            raise DamagedResults(folder, name, f"is {size:,} bytes, but {entry['bytes']:,} "
                                 "were written")
        if sha256_of(path) != entry.get("sha256"):
            raise DamagedResults(folder, name, "does not match the checksum in summary.json "
                                 "(altered or damaged)")
    return summary

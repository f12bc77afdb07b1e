"""Fixtures shared by the test modules."""

from __future__ import annotations

import subprocess

import pytest

import tests.profiles  # noqa: F401  (loads the Hypothesis profile before any test module)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty working folder, so the default `results/` lands in tmp_path."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.fixture
def tmpfs(tmp_path):
    """Mounts a real tmpfs of the given size (needs root, as in CI) for disk-full tests."""
    mounted: list = []

    def mount(size: str):
        disk = tmp_path / f"disk-{len(mounted)}"
        disk.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                               str(disk)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
        mounted.append(disk)
        return disk

    yield mount
    for disk in mounted:
        subprocess.run(["umount", "-l", str(disk)], check=False)

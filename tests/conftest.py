"""Fixtures shared by the test modules."""

from __future__ import annotations

import pytest

import tests.profiles  # noqa: F401  (loads the Hypothesis profile before any test module)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty working folder, so the default `results/` lands in tmp_path."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work

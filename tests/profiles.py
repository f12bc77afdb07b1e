"""Hypothesis profiles: `ci` (the default; derandomized, so a run's verdict never depends on
luck) and `dev` (randomized, 10x examples, remembers failures) for exploring by hand."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("KOOPHONE_HYPOTHESIS_PROFILE", "ci")
_SCALE = {"ci": 1, "dev": 10}
# ci: the same examples on every run (a seed derived from each test), and no example
# database, so a failure saved by an earlier run cannot change the next run's verdict.
settings.register_profile("ci", derandomize=True, database=None, deadline=None,
                          print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(PROFILE if PROFILE in _SCALE else "ci")


def examples(n: int) -> int:
    """`n` examples under the ci profile, 10 x n under dev."""
    return n * _SCALE.get(PROFILE, 1)

"""Cross-field checks of `generate:`: seed, spec ids, unique names, id clashes, windows, size.

Run by the loader after the models, next to `checks.check_scenario`; each problem has the
path of the key to fix (`generate[1].window.end`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import replace

from pydantic import ValidationError

from sim.clock import Clock
from sim.scenario.checks import (MAX_YEAR, MIN_YEAR, Parts, check_in_window, check_timezone,
                                 check_window)
from sim.scenario.errors import Problem
from sim.scenario.generate_models import MAX_PHONES_PER_GROUP, GenerateGroup
from sim.scenario.models import Scenario


def arrival_window(scenario: Scenario, index: int, clock: Clock) -> tuple[int, int]:
    """[start, end) of group `index`'s arrivals in epoch seconds (defaults: the scenario's)."""
    return _window(scenario.generate[index], scenario.start, scenario.end, clock)


def _window(group: GenerateGroup, start: dt.datetime, end: dt.datetime,
            clock: Clock) -> tuple[int, int]:
    window = group.window
    return (clock.epoch(window.start if window.start is not None else start),
            clock.epoch(window.end if window.end is not None else end))


def check_generate(scenario: Scenario, *, catalog_ok: bool = True) -> list[Problem]:
    """Every cross-field problem of the `generate:` groups of a model-valid scenario."""
    parts = Parts.of(scenario)
    seeded = scenario.seed is not None or not scenario.generate
    return check_groups(list(enumerate(scenario.generate)), seeded,
                        parts if catalog_ok else replace(parts, catalog=None))


def check_generate_data(data: Mapping, parts: Parts) -> list[Problem]:
    """The same checks on an invalid scenario: the groups valid on their own, in `parts`."""
    items = data.get("generate")
    groups = []
    for i, item in enumerate(items if isinstance(items, list) else []):
        try:
            groups.append((i, GenerateGroup.model_validate(item)))
        except ValidationError:
            pass  # its own problems come from the models
    has_groups = isinstance(items, list) and bool(items)
    return check_groups(groups, data.get("seed") is not None or not has_groups, parts)


def check_groups(groups: list[tuple[int, GenerateGroup]], seeded: bool,
                 parts: Parts) -> list[Problem]:
    """Seed, names, id clashes, spec ids (if parts.catalog), windows (if parts has one)."""
    problems: list[Problem] = []
    if not seeded:
        problems.append(Problem("seed", "required when generate: is used (a whole number "
                                        ">= 0; it makes the random fleet reproducible)"))
    clock = None
    if (parts.timezone is not None and parts.start is not None and parts.end is not None
            and not check_timezone(parts.timezone)):
        clock = Clock(parts.timezone)
        if check_window(parts.start, parts.end, clock):
            clock = None  # the window's own problem is reported by check_parts
    first: dict[str, int] = {}
    for i, group in groups:
        path = f"generate[{i}]"
        if group.name in first:
            problems.append(Problem(f"{path}.name", f"duplicate group name '{group.name}' "
                                                    f"(first at generate[{first[group.name]}])"))
        first.setdefault(group.name, i)
        # Generated ids are <name>-<n>: an explicit phone of that form could collide.
        pattern = re.compile(rf"{re.escape(group.name)}-[0-9]+")
        for j, phone, *_ in parts.phones:
            if pattern.fullmatch(phone.id):
                problems.append(Problem(f"{path}.name", f"generated ids '{group.name}-<n>' "
                                        f"could clash with phones[{j}].id '{phone.id}'"))
                break
        if parts.catalog is not None:
            spec_ids = sorted(spec.id for spec in parts.catalog.specs)
            if group.spec not in spec_ids:
                problems.append(Problem(f"{path}.spec", f"unknown spec '{group.spec}'; "
                                                        f"known: {', '.join(spec_ids)}"))
        if clock is not None:
            problems += _check_window(group, path, parts.start, parts.end, clock)
    return problems


def _check_window(group: GenerateGroup, path: str, start: dt.datetime, end: dt.datetime,
                  clock: Clock) -> list[Problem]:
    problems = []
    if group.window.start is not None:
        problems += check_in_window(f"{path}.window.start", group.window.start, start, end,
                                    clock)
    # Arrivals are in [start, end): the window's end may be the scenario's end itself.
    if group.window.end is not None and not (
            MIN_YEAR <= group.window.end.year <= MAX_YEAR
            and clock.epoch(start) < clock.epoch(group.window.end) <= clock.epoch(end)):
        problems.append(Problem(f"{path}.window.end", "must be after the scenario's start "
                                                      "and not after its end"))
    if problems:
        return problems
    lo, hi = _window(group, start, end, clock)
    if hi <= lo:
        return [Problem(f"{path}.window.end", "must be after the window's start")]
    if group.rate is not None:
        expected = group.rate * (hi - lo) / 86400
        if expected > MAX_PHONES_PER_GROUP:
            return [Problem(f"{path}.rate", f"{group.rate:g} per day over this window means "
                                            f"~{expected:.0f} phones; at most "
                                            f"{MAX_PHONES_PER_GROUP} per group")]
    return []

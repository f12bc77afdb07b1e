"""The sweep file: a base scenario, a grid of overrides, replications and a seed.

Validated once at the door like a scenario: every problem with its path (`replications`,
`grid["phones[9].billing"]`), raised together as one ScenarioError. Grid paths are checked
against the base scenario, so a typo stops the sweep before anything runs; a value that
makes one variant invalid does not: that variant fails alone, with its error.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StrictInt, ValidationError

from sim.scenario import ScenarioError, load_scenario, load_yaml
from sim.scenario.errors import (Problem, looks_like, not_a_file_of_its_kind, only_at,
                                 problems_from_pydantic)
from sim.scenario.models import Scenario
from sim.scenario.yaml_io import parse_yaml, read_yaml_file
from sim.whatif.sweep.paths import PathError, apply, parse
from sim.whatif.sweep.task import copied_for

MAX_VALUES = 10_000  # values of one grid key
# One grid value is copied into every variant and shown in every row of its variant: a
# mapping or list (a billing mix, a list of phones) is fine, a whole alias graph is not.
MAX_VALUE_NODES = 10_000
MAX_RUNS = 10_000_000  # variants x replications
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class SweepSpec(BaseModel):
    """A sweep: every combination of the grid's values (a variant), `replications` times."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=200, pattern=NAME_PATTERN)] | None = None
    """Names the results folder; default: the sweep file's name without .yaml."""
    description: str | None = None
    base: Annotated[str, Field(min_length=1, max_length=4096)]
    """The base scenario's path, relative to the sweep file (resolved by load_sweep)."""
    grid: dict[str, Any] = {}
    """Path -> list of values; variants are their product, last key varying fastest."""
    replications: Annotated[StrictInt, Field(ge=1, le=100_000)] = 1
    seed: Annotated[StrictInt, Field(ge=0, le=2**63 - 1)] | None = None
    """Replaces the base scenario's seed in every variant (a grid `seed` key wins)."""
    _base: dict | None = PrivateAttr(default=None)
    """The base scenario as read and checked by load_sweep: read once per sweep."""

    @property
    def variants(self) -> int:
        return math.prod(len(values) for values in self.grid.values())


def grid_path(key: object) -> str:
    """The problem path of one grid key: grid["phones[0].billing"]."""
    return f'grid["{key}"]'


def load_sweep(source: str | os.PathLike | Mapping, *,
               base_dir: str | os.PathLike | None = None) -> SweepSpec:
    """A checked SweepSpec from a sweep file (or a mapping), its `base` made a usable path.

    The base is loaded and validated too: its problems come as a ScenarioError naming the
    base file; the sweep's own problems name the sweep file.
    """
    file = None
    if isinstance(source, Mapping):
        data, folder = dict(source), Path(base_dir) if base_dir is not None else Path.cwd()
    else:
        file = Path(source)
        data = load_yaml(file)
        folder = Path(base_dir) if base_dir is not None else file.parent
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from_pydantic(exc.errors(include_url=False)),
                            file=file) from None
    problems = _check_grid(spec)
    base = folder / spec.base
    if not base.is_file():
        problems.append(Problem("base", f"no scenario file {spec.base!r} (relative to "
                                        f"{'the sweep file' if file else 'the working folder'})"))
    if problems:
        raise ScenarioError(problems, file=file)
    name = spec.name or (file.stem if file is not None else Path(spec.base).stem + "-sweep")
    spec = spec.model_copy(update={"base": str(base), "name": name})
    data = _read_base(spec, file)
    problems = _check_paths(spec, data)
    if problems:
        raise ScenarioError(problems, file=file)
    spec._base = data
    return spec


def _read_base(spec: SweepSpec, sweep_file: Path | None) -> dict:
    """The base scenario as a mapping, read and checked once (problems name the base file).

    A base that is not a scenario at all (not YAML, other keys) is named without quoting
    it: `base:` may point at any readable file.
    """
    text = read_yaml_file(spec.base)  # missing, not .yaml...: nothing read, the base named
    try:
        data = parse_yaml(text, file=spec.base)
    except ScenarioError as exc:
        if only_at(exc.problems, Scenario.model_fields):  # a scenario with a bad value
            raise
        raise not_a_file_of_its_kind(exc, "base", spec.base, "scenario", sweep_file) from None
    try:
        load_scenario(data, base_dir=Path(spec.base).parent)  # on a shallow copy of data
    except ScenarioError as exc:
        if looks_like(data, Scenario.model_fields):
            raise ScenarioError(exc.problems, file=spec.base) from None
        raise not_a_file_of_its_kind(exc, "base", spec.base, "scenario", sweep_file) from None
    return data


def base_data(spec: SweepSpec) -> dict:
    """The base scenario as a mapping (checked: its problems name the base file)."""
    return spec._base if spec._base is not None else _read_base(spec, None)


def _check_grid(spec: SweepSpec) -> list[Problem]:
    problems = []
    for key, values in spec.grid.items():
        path = grid_path(key)
        if not isinstance(values, list) or not values:
            problems.append(Problem(path, "must be a non-empty list of values "
                                          "(write [value] for one)"))
        elif len(values) > MAX_VALUES:
            problems.append(Problem(path, f"at most {MAX_VALUES} values"))
        else:
            big = next((i for i, value in enumerate(values)
                        if _nodes(value, MAX_VALUE_NODES) > MAX_VALUE_NODES), None)
            if big is not None:
                problems.append(Problem(f"{path}[{big}]", f"a value may hold at most "
                                                          f"{MAX_VALUE_NODES:,} items"))
        try:
            parse(key)
        except PathError as exc:
            problems.append(Problem(path, str(exc)))
    if not problems and spec.variants * spec.replications > MAX_RUNS:
        problems.append(Problem("grid", f"{spec.variants} variants x {spec.replications} "
                                        f"replications; at most {MAX_RUNS} runs"))
    return problems


def _nodes(value: object, limit: int) -> int:
    """Items in a value as its copies will hold them (shared parts counted each time it is
    used), counting stops past `limit`."""
    count, stack = 0, [value]
    while stack and count <= limit:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def _check_paths(spec: SweepSpec, base: dict) -> list[Problem]:
    """Each grid path must name something in the base scenario (checked on a copy)."""
    problems = []
    for key, values in spec.grid.items():
        try:
            apply(copied_for(base, [key]), key, values[0])
        except PathError as exc:
            problems.append(Problem(grid_path(key), f"{exc} in the base scenario"))
    return problems


"""The price catalog: the shipped default, a file next to the scenario, or an inline mapping.

Every catalog is validated by the models and then by `check_catalog` (unique ids and the
edition ordering of billing-rules.md §1).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from sim.scenario.errors import (FILE, Problem, ScenarioError, looks_like, not_a_file_of_its_kind,
                                 only_at, problems_from_pydantic)
from sim.scenario.models import Catalog, Spec
from sim.scenario.yaml_io import parse_yaml, read_yaml_file

DEFAULT = "default"
PRICES = ("monthly", "yearly", "hourly")
# billing-rules §1: under the same hardware, enterprise > professional > basic.
EDITION_RANK = {"basic": 0, "professional": 1, "enterprise": 2}


@functools.cache
def default_catalog() -> Catalog:
    """The catalog shipped as package data `sim/data/catalog.yaml` (illustrative prices)."""
    data = parse_yaml(resources.files("sim").joinpath("data/catalog.yaml").read_bytes(),
                      file="sim/data/catalog.yaml")
    catalog = Catalog.model_validate(data)
    problems = check_catalog(catalog, "catalog")
    if problems:  # a packaging bug, not a user error
        raise RuntimeError(f"the shipped catalog is invalid: {problems}")
    return catalog


def _hardware(spec: Spec) -> str:
    return f"{spec.vcpus} vCPU / {spec.memory_gb} GB / {spec.storage_gb} GB"


def check_catalog(catalog: Catalog, path_prefix: str = "catalog") -> list[Problem]:
    """Duplicate spec ids and edition-ordering breaks, each at its path under `path_prefix`."""
    problems: list[Problem] = []
    first_index: dict[str, int] = {}
    for index, spec in enumerate(catalog.specs):
        if spec.id in first_index:
            problems.append(Problem(
                f"{path_prefix}.specs[{index}].id",
                f"duplicate spec id '{spec.id}' (first at "
                f"{path_prefix}.specs[{first_index[spec.id]}])"))
        else:
            first_index[spec.id] = index

    for high_index, high in enumerate(catalog.specs):
        for low in catalog.specs:
            same_hardware = (low.vcpus, low.memory_gb, low.storage_gb) == (
                high.vcpus, high.memory_gb, high.storage_gb)
            if not same_hardware or EDITION_RANK[low.edition] >= EDITION_RANK[high.edition]:
                continue
            for price in PRICES:
                high_price, low_price = getattr(high, price), getattr(low, price)
                if high_price <= low_price:
                    problems.append(Problem(
                        f"{path_prefix}.specs[{high_index}].{price}",
                        f"{high.edition} '{high.id}' {price} {high_price} must be more than "
                        f"{low.edition} '{low.id}' {price} {low_price} (same "
                        f"{_hardware(high)}: enterprise > professional > basic)"))
    return problems


def _validated(data: object, prefix: str) -> Catalog:
    try:
        catalog = Catalog.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from_pydantic(exc.errors(), prefix)) from None
    problems = check_catalog(catalog, prefix)
    if problems:
        raise ScenarioError(problems)
    return catalog


def resolve_catalog(value: object, base_dir: str | Path | None = None) -> Catalog:
    """The scenario's `catalog:` value as a checked Catalog; ScenarioError names the paths.

    'default' is the shipped catalog; any other string is a catalog file, relative to
    `base_dir` (the scenario's folder; the working directory when None); a mapping is an
    inline catalog. Problems in a file are reported under `catalog(<file as written>)`.
    """
    if isinstance(value, Catalog):
        problems = check_catalog(value)
        if problems:
            raise ScenarioError(problems)
        return value
    if value == DEFAULT:
        return default_catalog()
    if isinstance(value, Mapping):
        return _validated(value, "catalog")
    if isinstance(value, str) and value.strip():
        prefix = f"catalog({value})"
        path = Path(value)
        if not path.is_absolute():
            path = Path(base_dir if base_dir is not None else Path.cwd()) / path
        try:
            text = read_yaml_file(path)
        except ScenarioError as exc:  # missing, a folder, not .yaml...: nothing read
            raise ScenarioError(
                Problem(prefix if p.path == FILE else f"{prefix}.{p.path}", p.message)
                for p in exc.problems) from None
        try:
            data = parse_yaml(text, file=str(path))
        except ScenarioError as exc:
            if only_at(exc.problems, Catalog.model_fields):  # e.g. a bad escape in a spec id
                raise ScenarioError(Problem(f"{prefix}.{p.path}", p.message)
                                    for p in exc.problems) from None
            raise not_a_file_of_its_kind(exc, prefix, value, "catalog") from None
        try:
            return _validated(data, prefix)
        except ScenarioError as exc:
            if looks_like(data, Catalog.model_fields):  # a catalog with mistakes: say them
                raise
            raise not_a_file_of_its_kind(exc, prefix, value, "catalog") from None
    raise ScenarioError([Problem(
        "catalog", "must be 'default', the path of a catalog file, or a mapping "
        "with currency and specs")])

"""`load_scenario`: YAML file (or parsed mapping) -> catalog -> models -> checks -> Scenario.

The single door for input: whatever is wrong is raised as one ScenarioError listing every
problem with its path, before anything is simulated.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from sim.scenario.catalog import DEFAULT, default_catalog, resolve_catalog
from sim.clock import Clock
from sim.gcpause import collector_paused
from sim.scenario.checks import (Parts, check_parts, check_reach, check_scenario,
                                 check_timezone, check_window)
from sim.scenario.errors import FILE, Problem, ScenarioError, problems_from_pydantic
from sim.scenario.generate_checks import check_generate, check_generate_data
from sim.scenario.models import Action, Catalog, Phone, Scenario, TopUp
from sim.scenario.yaml_io import load_yaml

if TYPE_CHECKING:
    from sim.scenario import fleet_tables, tables, usage_replay


def _valid_field(name: str, data: Mapping) -> Any:
    """One top-level field validated on its own (its default when absent); None if invalid."""
    info = Scenario.model_fields[name]
    if name not in data:
        # A required field (start, end) has no default: None, not PydanticUndefined, which
        # the cross-field checks would crash on (found by fuzz/fuzz_door.py).
        return None if info.is_required() else info.get_default(call_default_factory=True)
    try:
        return TypeAdapter(Annotated[info.annotation, info]).validate_python(data[name])
    except ValidationError:
        return None


def _valid_items(model: type[BaseModel], items: object) -> list[tuple[int, Any]]:
    """The items of a list that are valid on their own, with their index in the file."""
    if not isinstance(items, list):
        return []
    valid = []
    for index, item in enumerate(items):
        try:
            valid.append((index, model.model_validate(item)))
        except ValidationError:
            pass
    return valid


def _valid_phone(raw: object) -> tuple[Phone, list[tuple[int, Action]]] | None:
    """A phone without its failing optional keys, and its valid actions; None if hopeless."""
    if not isinstance(raw, Mapping):
        return None
    rest = {key: value for key, value in raw.items() if key != "actions"}
    try:
        phone = Phone.model_validate(rest)
    except ValidationError as exc:
        failing = {error["loc"][0] for error in exc.errors() if error["loc"]}
        try:  # still fails if a required key was among them: then nothing to check
            phone = Phone.model_validate({k: v for k, v in rest.items() if k not in failing})
        except ValidationError:
            return None
    return phone, _valid_items(Action, raw.get("actions"))


def _valid_parts(data: Mapping, catalog: Catalog | None) -> Parts:
    """The pieces of an invalid scenario that are valid, so cross-field checks still run."""
    account = data.get("account")
    topups = account.get("topups") if isinstance(account, Mapping) else None
    phones = data.get("phones")
    phones = phones if isinstance(phones, list) else []
    return Parts(
        timezone=_valid_field("timezone", data),
        start=_valid_field("start", data),
        end=_valid_field("end", data),
        currency=_valid_field("currency", data),
        catalog=catalog,
        topups=_valid_items(TopUp, topups),
        phones=[(index, *valid) for index, raw in enumerate(phones)
                if (valid := _valid_phone(raw)) is not None],
    )


def _file_order(problems: list[Problem]) -> list[Problem]:
    """Problems roughly in file order: top-level key order, then list indices (stable)."""
    keys = list(Scenario.model_fields)

    def key(problem: Problem) -> tuple:
        head = re.split(r"[.\[(]", problem.path, maxsplit=1)[0]
        rank = -1 if problem.path == FILE else (keys.index(head) if head in keys else len(keys))
        return rank, tuple(int(i) for i in re.findall(r"\[(\d+)\]", problem.path))

    return sorted(problems, key=key)


def load_scenario(source: str | os.PathLike | Mapping, *,
                  base_dir: str | os.PathLike | None = None) -> Scenario:
    """A checked Scenario from a YAML file path or an already-parsed mapping.

    `base_dir` anchors a relative `catalog:` path (and tables): by default the scenario
    file's folder, or the working directory for a mapping.
    """
    # Reading builds only lasting objects (values, models): each full collection would
    # rescan them all to free nothing (a third of a 10,000-phone load).
    with collector_paused():
        return _load(source, base_dir)


def _load(source: str | os.PathLike | Mapping, base_dir: str | os.PathLike | None) -> Scenario:
    file: str | None = None
    if isinstance(source, Mapping):
        data = dict(source)
        base = Path(base_dir) if base_dir is not None else Path.cwd()
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        file = str(path)
        data = load_yaml(path)
        base = Path(base_dir) if base_dir is not None else path.parent
    else:
        raise ScenarioError([Problem(FILE, "a scenario is a file path or a mapping of keys, "
                                           f"not {type(source).__name__}")])

    problems: list[Problem] = []
    catalog_ok = True
    try:
        data["catalog"] = resolve_catalog(data.get("catalog", DEFAULT), base)
    except ScenarioError as exc:
        # Validate the rest against the default so its problems are reported too; checks
        # that need the real catalog (spec ids, currency) are skipped.
        problems += exc.problems
        data["catalog"] = default_catalog()
        catalog_ok = False

    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems += problems_from_pydantic(exc.errors(include_url=False))
        parts = _valid_parts(data, data["catalog"] if catalog_ok else None)
        problems += check_parts(parts)
        problems += check_generate_data(data, parts)
        problems += _read_tables(data, parts, base).problems
        raise ScenarioError(_file_order(problems), file=file) from None
    problems += check_scenario(scenario, catalog_ok=catalog_ok)
    problems += check_generate(scenario, catalog_ok=catalog_ok)
    parts = Parts.of(scenario)
    tabled = _read_tables(data, parts if catalog_ok else replace(parts, catalog=None), base)
    problems += tabled.problems
    if problems:
        raise ScenarioError(_file_order(problems), file=file)
    merged = tabled.merge(scenario)
    if merged is not scenario:  # tabled phones and actions: their renewals' reach too
        for phone in merged.phones[len(scenario.phones):] + [
                p for p in merged.phones[:len(scenario.phones)] if p.id in tabled.actions]:
            key = "actions_table" if phone.id in tabled.actions else "phones_table"
            problems += [Problem(key, f"phone {phone.id!r}: {p.message}")
                         for p in check_reach(phone, key, merged.end, merged.policy)]
        if problems:
            raise ScenarioError(_file_order(problems), file=file)
    return merged


@dataclass
class _Tabled:
    """What the tables of a scenario hold: more phones, more actions, or their problems."""

    phones: list[Phone] = field(default_factory=list)
    actions: dict[str, list[Action]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    sessions: usage_replay.Sessions | None = None
    clock: Clock | None = None

    def merge(self, scenario: Scenario) -> Scenario:
        """One plain list of phones: the YAML ones (with their tabled actions), then the table's."""
        if not (self.phones or self.actions or scenario.phones_table or scenario.actions_table
                or scenario.usage_table):
            return scenario
        phones = [*scenario.phones, *self.phones]
        if self.actions:
            phones = [p.model_copy(update={"actions": [*p.actions, *self.actions[p.id]]})
                      if p.id in self.actions else p for p in phones]
        if self.sessions is not None:
            from sim.scenario import usage_replay

            phones += usage_replay.replay_phones(
                self.sessions, scenario.usage_billing, self.clock.epoch(scenario.end),
                self.clock.local)
        merged = scenario.model_copy(update={"phones": phones, "phones_table": None,
                                             "actions_table": None, "usage_table": None})
        merged._sessions = self.sessions
        return merged


def _context(data: Mapping, parts: Parts) -> fleet_tables.Context:
    """What tables are checked against: the catalog's specs, the window, the other ids."""
    from sim.scenario import fleet_tables

    clock = window = None
    if (parts.timezone is not None and parts.start is not None
            and parts.end is not None and not check_timezone(parts.timezone)):
        clock = Clock(parts.timezone)
        if check_window(parts.start, parts.end, clock):
            clock = None
        else:
            window = (clock.epoch(parts.start), clock.epoch(parts.end))
    groups = data.get("generate")
    names = [g["name"] for g in groups if isinstance(g, Mapping) and isinstance(g.get("name"), str)
             ] if isinstance(groups, list) else []
    return fleet_tables.Context(
        spec_ids=sorted(s.id for s in parts.catalog.specs) if parts.catalog else None,
        clock=clock, window=window,
        yaml_ids={phone.id: i for i, phone, _ in parts.phones}, group_names=names)


def _read_tables(data: Mapping, parts: Parts, base: Path) -> _Tabled:
    """The phones and actions of `phones_table:` and `actions_table:`, checked whole."""
    out = _Tabled()
    keys = [key for key in ("phones_table", "actions_table", "usage_table")
            if data.get(key) is not None]
    if not keys:
        return out
    # pyarrow loads only for a scenario with tables (~0.2 s of every other command).
    from sim.scenario import fleet_tables, tables, usage_replay

    ctx = _context(data, parts)
    out.clock = ctx.clock
    read: dict[str, tables.Table] = {}
    for key in keys:
        try:
            read[key] = tables.read_table(key, data[key], base)
        except ScenarioError as exc:
            out.problems += exc.problems
    if "phones_table" in read:
        out.phones = fleet_tables.read_phones(read["phones_table"], ctx)
        out.problems += read["phones_table"].problems
    if "actions_table" in read:
        ids: dict[str, int] | None = dict(ctx.yaml_ids)
        ids.update((phone.id, i) for i, phone in enumerate(out.phones))
        if "phones_table" in keys and not out.phones:
            ids = None  # the phones table failed: which ids exist is unknown
        out.actions = fleet_tables.read_actions(read["actions_table"], ctx, ids)
        out.problems += read["actions_table"].problems
    if "usage_table" in read:
        spec = data.get("usage_spec")
        spec = spec if isinstance(spec, str) else None
        if spec is not None and ctx.spec_ids is not None and spec not in ctx.spec_ids:
            out.problems.append(Problem("usage_spec", f"unknown spec '{spec}'; known: "
                                                      f"{', '.join(ctx.spec_ids[:30])}"))
            spec = None
        out.sessions = usage_replay.read_sessions(read["usage_table"], ctx, spec)
        out.problems += read["usage_table"].problems
        if out.sessions is not None:
            taken = set(ctx.yaml_ids) | {phone.id for phone in out.phones}
            clash = sorted(set(out.sessions.phone) & taken)
            clash += sorted(p for p in taken if "#" in p and p.split("#")[0] in
                            set(out.sessions.phone))
            if clash:
                out.problems.append(Problem("usage_table", f"{data['usage_table']}: logged "
                                            f"phone ids clash with other phones: "
                                            f"{', '.join(clash[:5])}"))
    return out

"""The same usage under another billing mode: variant scenarios for compare and recommend.

A phone's usage runs from its `at` to the end of its usage window (metrics.usage_window).
Under pay-per-use it is created at `at` and deleted at the end of use; under monthly or
yearly it is bought at `at` for one term with auto-renewal on and unsubscribed at the end
of use. Only stop/start carry over (they exist in every mode); the account, top-ups and
policy stay as written. Variants are built as new mappings and re-validated by
`load_scenario`: the written scenario is never mutated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..result import Result
from ..scenario import load_scenario
from ..scenario.models import Phone, Scenario
from .metrics import ENDING_ACTIONS, usage_window

PPU = "pay_per_use"
MODES = ("monthly", "yearly", PPU)
KEPT_ACTIONS = frozenset({"stop", "start"})


def check_modes(modes) -> tuple[str, ...]:
    """Modes as a tuple without repeats, in the order given; ValueError for unknown ones."""
    if isinstance(modes, str):
        modes = [m for m in modes.split(",") if m.strip()]
    out: list[str] = []
    for mode in modes:
        mode = mode.strip()
        if mode not in MODES:
            raise ValueError(f"unknown billing mode {mode!r}; use {', '.join(MODES)}")
        if mode not in out:
            out.append(mode)
    if not out:
        raise ValueError(f"no billing mode given; use {', '.join(MODES)}")
    return tuple(out)


def _ending_index(cfg: Phone, written: Result, stop: int) -> int | None:
    """Index of the action that ends the usage window (first in file order), if any."""
    if stop >= written.end:
        return None
    for index, action in enumerate(cfg.actions):
        if action.do in ENDING_ACTIONS and written.clock.epoch(action.at) == stop:
            return index
    return None


def phone_as(cfg: Phone, mode: str, written: Result, window: tuple[int, int]) -> dict[str, Any]:
    """The phone's mapping under `mode`, for the same usage window."""
    data = cfg.model_dump(exclude_none=True, include={"id", "spec", "quantity", "at", "group"})
    data["billing"] = mode
    if mode == PPU:
        if cfg.provisioning is not None:
            data["provisioning"] = cfg.provisioning
    else:
        data["term"] = 1
        if cfg.pay_with is not None:  # online stays online; the account is unchanged
            data["pay_with"] = cfg.pay_with
        data["auto_renew"] = {}  # one month or one year at a time, unlimited
    stop = window[1]
    ending = _ending_index(cfg, written, stop)
    actions = []
    for index, action in enumerate(cfg.actions):
        if index == ending:
            actions.append({"at": action.at, "do": "delete" if mode == PPU else "unsubscribe"})
            continue
        if action.do not in KEPT_ACTIONS:
            continue  # renewals, auto-renew switches, mode changes: not usage
        t = written.clock.epoch(action.at)
        # Same-second ties follow file order (billing-rules §7.1), so keep what came first.
        if t < stop or (t == stop and ending is not None and index < ending):
            actions.append({"at": action.at, "do": action.do})
    data["actions"] = actions
    return data


def with_phones(scenario: Scenario, phones: list[dict[str, Any]]) -> Scenario:
    """A re-validated copy of `scenario` (window, account, policy, catalog) with other phones."""
    data = scenario.model_dump(exclude_none=True, exclude={"phones", "catalog"})
    data["catalog"] = scenario.catalog  # already checked; passed as is
    data["phones"] = phones
    return load_scenario(data)


def variant(scenario: Scenario, written: Result, mode_of: Mapping[str, str]) -> Scenario:
    """`scenario` with each phone's usage re-expressed in `mode_of[phone id]`."""
    phones = [phone_as(cfg, mode_of[cfg.id], written, usage_window(cfg, written))
              for cfg in scenario.phones]
    return with_phones(scenario, phones)

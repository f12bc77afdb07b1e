"""Override paths of a sweep grid: `account.balance`, `phones[0].billing`, `phones[*].term`,
`phones[group=desks].billing`, `generate[name=session].rate`.

A path is keys joined by dots; a key naming a list takes one selector: `[i]` (an index),
`[*]` (every item) or `[field=value]` (every item whose `field` is `value`). Missing
mapping keys are created; list items must exist. Setting `billing` on a phone or a
generated group switches its mode (see `switch_billing`), so one grid key can move a whole
fleet between modes without leaving keys the new mode refuses.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

PPU = "pay_per_use"
PREPAID = frozenset({"monthly", "yearly"})
PREPAID_KEYS = ("term", "pay_with", "auto_renew")
PPU_KEYS = ("provisioning",)
KEPT_ACTIONS = frozenset({"stop", "start"})  # the actions every mode has
ENDING = {PPU: "delete", "monthly": "unsubscribe", "yearly": "unsubscribe"}
KEEP_ON_SWITCH = KEPT_ACTIONS | {"delete", "unsubscribe"}

_STEP = re.compile(r"(?P<key>[A-Za-z_][A-Za-z0-9_]*)(?:\[(?P<sel>[^\[\]]*)\])?")


class PathError(ValueError):
    """A path that is malformed, or names nothing in the scenario."""


@dataclass(frozen=True)
class Step:
    """One key of a path, with its list selector: None, an index, '*', or (field, value)."""

    key: str
    select: None | int | str | tuple[str, str] = None


def parse(path: str) -> tuple[Step, ...]:
    """The steps of a path; PathError says what is wrong with its syntax."""
    steps, pos = [], 0
    while True:
        match = _STEP.match(path, pos)
        if match is None:
            raise PathError(f"expected a key at character {pos + 1}; a path looks like "
                            "account.balance, phones[0].billing, phones[*].billing or "
                            "generate[name=session].rate")
        steps.append(Step(match["key"], _selector(match["sel"])))
        pos = match.end()
        if pos == len(path):
            return tuple(steps)
        if path[pos] != ".":
            raise PathError(f"unexpected {path[pos]!r} at character {pos + 1}")
        pos += 1


def _selector(text: str | None) -> None | int | str | tuple[str, str]:
    if text is None:
        return None
    text = text.strip()
    if text == "*":
        return "*"
    if re.fullmatch(r"[0-9]+", text):
        return int(text)
    field, sep, value = text.partition("=")
    if sep and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", field.strip()) and value.strip():
        return field.strip(), value.strip()
    raise PathError(f"[{text}] is not a selector: use [0], [*] or [field=value]")


def _shown(steps: tuple[Step, ...]) -> str:
    out = []
    for step in steps:
        sel = step.select
        text = step.key
        if sel is not None:
            text += f"[{sel[0]}={sel[1]}]" if isinstance(sel, tuple) else f"[{sel}]"
        out.append(text)
    return ".".join(out)


def _items(node: list, step: Step, where: str) -> list[int]:
    """Indices of the items of `node` that the step's selector picks (at least one)."""
    sel = step.select
    if isinstance(sel, int):
        if sel >= len(node):
            raise PathError(f"{where} has {len(node)} items; there is no [{sel}]")
        return [sel]
    if sel == "*":
        picked = list(range(len(node)))
    else:
        field, value = sel
        picked = [i for i, item in enumerate(node)
                  if isinstance(item, dict) and str(item.get(field)) == value]
    if not picked:
        raise PathError(f"{where}[{sel if sel == '*' else '='.join(sel)}] matches no item")
    return picked


def apply(data: dict, path: str | tuple[Step, ...], value: Any) -> None:
    """Set `value` (a deep copy for each place) at `path` inside the mapping `data`."""
    steps = parse(path) if isinstance(path, str) else path
    _set(data, steps, 0, value)


def _set(node: dict, steps: tuple[Step, ...], i: int, value: Any) -> None:
    step, last = steps[i], i == len(steps) - 1
    where = f"{_shown(steps[:i])}.{step.key}" if i else step.key  # without the selector
    if step.select is None:
        if last:
            node[step.key] = copy.deepcopy(value)
            return
        child = node.get(step.key)
        if child is None:
            child = node[step.key] = {}
        if not isinstance(child, dict):
            raise PathError(f"{where} is not a mapping of keys")
        _set(child, steps, i + 1, value)
        return
    items = node.get(step.key)
    if not isinstance(items, list):
        raise PathError(f"{where} is not a list" if items is not None else
                        f"{where} is absent; a selector needs a list")
    for k in _items(items, step, where):
        if last:
            items[k] = copy.deepcopy(value)
            continue
        item = items[k]
        if not isinstance(item, dict):
            raise PathError(f"{where}[{k}] is not a mapping of keys")
        if i == 0 and step.key in ("phones", "generate") and len(steps) == 2 \
                and steps[1].key == "billing" and steps[1].select is None:
            switch_billing(item, copy.deepcopy(value))
        else:
            _set(item, steps, i + 1, value)


def _modes(billing: Any) -> set[str]:
    """The modes a billing value can produce (a mode, or the modes of a mix)."""
    if isinstance(billing, str):
        return {billing}
    if isinstance(billing, dict):
        return {str(mode) for mode, weight in billing.items() if weight}
    return set()


def switch_billing(item: dict, billing: Any) -> None:
    """Give a phone (or a generated group) another billing mode, for the same usage.

    Keys the new modes refuse are dropped (term, pay_with, auto_renew without a prepaid
    mode; provisioning without pay_per_use). Moving from pay-per-use to prepaid turns
    auto-renewal on (one term at a time), so the phone lasts as long as before; between
    the two families only stop/start carry over and the ending action follows the mode
    (delete <-> unsubscribe), as `compare` does. Monthly <-> yearly keeps everything.
    """
    old, new = _modes(item.get("billing")), _modes(billing)
    item["billing"] = billing
    if not new or new == old or not new <= ENDING.keys():
        return  # unchanged, or not a mode the models know: let them report it
    if not new & PREPAID:
        for key in PREPAID_KEYS:
            item.pop(key, None)
    elif not old & PREPAID:
        item.setdefault("auto_renew", {})
    if PPU not in new:
        for key in PPU_KEYS:
            item.pop(key, None)
    actions = item.get("actions")
    was_ppu, is_ppu = old == {PPU}, new == {PPU}
    if isinstance(actions, list) and isinstance(billing, str) and was_ppu != is_ppu:
        item["actions"] = [
            {**action, "do": ENDING[billing]}
            if isinstance(action, dict) and action.get("do") in ("delete", "unsubscribe")
            else action
            for action in actions
            if not isinstance(action, dict) or action.get("do") in KEEP_ON_SWITCH
        ]

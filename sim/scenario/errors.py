"""Input problems named by their path in the file (`phones[2].actions[0].term: must be >= 1`).

Every check of the door reports `Problem`s; the loader raises them together as one
`ScenarioError`, so a user sees all of them at once.
"""

from __future__ import annotations

import re
import reprlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FILE = "(file)"
"""Path of a problem that concerns the whole file (unreadable, malformed, too large)."""

_VALUE_ERROR_PREFIX = "Value error, "
_MAX_SHOWN_INPUT = 60  # characters of an offending value quoted back in a message
_PATTERN_HELP = {
    # models.Scenario.name: it names the results folder, so no path separators.
    r"^[A-Za-z0-9][A-Za-z0-9._-]*$":
        "must start with a letter or digit and hold only letters, digits, '.', '_' and '-'",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, at a path like `phones[2].actions[0].term`."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ScenarioError(Exception):
    """Invalid input: carries every problem found (and the file, when there is one)."""

    def __init__(self, problems: Iterable[Problem], file: str | Path | None = None):
        self.problems: list[Problem] = list(problems)
        self.file = str(file) if file is not None else None
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)

    def __reduce__(self):
        # Survives pickling (process pools, Dask) with its problems, not just its text.
        return (type(self), (self.problems, self.file))


def join_path(prefix: str, loc: Sequence[Any]) -> str:
    """A path from a pydantic loc: ints become `[i]`, names `.name` (`phones[0].term`)."""
    path = prefix
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool):
            path += f"[{part}]"
        elif path:
            path += f".{part}"
        else:
            path = str(part)
    return path or FILE


def _shown(value: object) -> str:
    """A short repr of an offending value.

    reprlib bounds depth and items: a full repr of a YAML alias graph could be exponential.
    """
    shorter = reprlib.Repr()
    shorter.maxlevel, shorter.maxlist, shorter.maxdict = 2, 4, 4
    shorter.maxstring = shorter.maxother = shorter.maxlong = _MAX_SHOWN_INPUT
    text = shorter.repr(value)
    if len(text) > _MAX_SHOWN_INPUT:
        text = text[: _MAX_SHOWN_INPUT - 3] + "..."
    return text


def _message(error: dict[str, Any]) -> str:
    """A readable message for one pydantic error dict."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    loc = error.get("loc") or ()
    if kind == "extra_forbidden":
        return f"unknown key {_shown(loc[-1]) if loc else '?'}"
    if kind == "missing":
        return "required"
    if kind == "invalid_key":
        return f"key {_shown(loc[-1] if loc else error.get('input'))} is not a text string"
    if kind == "finite_number":
        return "must be a finite number"
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        return _PATTERN_HELP.get(pattern, f"must match the pattern {pattern}")
    if kind in ("string_too_short", "too_short") and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind == "string_too_short":
        return f"must have at least {ctx.get('min_length')} characters"
    if kind == "string_too_long":
        return f"must have at most {ctx.get('max_length')} characters"
    if kind == "too_short":
        return f"must have at least {ctx.get('min_length')} items"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '?')}; got {_shown(error.get('input'))}"
    bounds = {
        "greater_than_equal": ("ge", ">="),
        "greater_than": ("gt", ">"),
        "less_than_equal": ("le", "<="),
        "less_than": ("lt", "<"),
    }
    if kind in bounds:
        key, sign = bounds[kind]
        return f"must be {sign} {ctx.get(key)}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be a whole number; got {_shown(error.get('input'))}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"must be a mapping of keys; got {_shown(error.get('input'))}"
    if kind == "list_type":
        return f"must be a list; got {_shown(error.get('input'))}"
    if kind == "string_type":
        return f"must be a text string; got {_shown(error.get('input'))}"
    message = str(error.get("msg", kind))
    if message.startswith(_VALUE_ERROR_PREFIX):
        message = message[len(_VALUE_ERROR_PREFIX):]
    return message


def problems_from_pydantic(errors: Iterable[dict[str, Any]], prefix: str = "") -> list[Problem]:
    """Problems from `ValidationError.errors()`, each at its path under `prefix`."""
    problems = []
    for error in errors:
        loc = tuple(error.get("loc") or ())
        if error.get("type") == "invalid_key" and loc:
            loc = loc[:-1]  # the loc ends with the offending key itself, not a field name
        problems.append(Problem(join_path(prefix, loc), _message(error)))
    return problems


def not_a_file_of_its_kind(exc: ScenarioError, where: str, name: str, kind: str,
                           file: str | Path | None = None) -> ScenarioError:
    """One problem at `where` naming a referenced file that is not a `kind` file at all.

    Its own problems would quote its keys and values: a `catalog:` or `base:` pointing at
    someone's secrets must not echo them. Only the first problem's path is named (or a
    file-level problem's text up to its first colon: "malformed YAML at line 3, column 5").
    """
    first = exc.problems[0] if exc.problems else Problem(FILE, "unreadable")
    more = len(exc.problems) - 1
    if first.path == FILE:
        shown = first.message.split(": ", 1)[0]
    else:
        shown = f"first problem at {first.path.removeprefix(where + '.')}"
        shown += f", {more} more" if more else ""
        shown += "; its contents are not shown"
    return ScenarioError([Problem(where, f"{name} is not a {kind} file: {shown}")], file=file)


def looks_like(data: object, fields: Iterable[str]) -> bool:
    """A parsed file shaped like the model with these fields: a mapping of only its keys."""
    return isinstance(data, dict) and all(isinstance(k, str) for k in data) \
        and set(data) <= set(fields)


def only_at(problems: Iterable[Problem], fields: Iterable[str]) -> bool:
    """Every problem is at a path under one of these top-level fields (none file-wide)."""
    fields = set(fields)
    return all(re.split(r"[.\[]", p.path, maxsplit=1)[0] in fields for p in problems)

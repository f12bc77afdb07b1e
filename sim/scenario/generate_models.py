"""Models of the `generate:` section: groups of phones drawn from named distributions.

A group says how many phones arrive (a fixed `count`, or a Poisson `rate` per day) over an
arrival window, which billing mode each gets (one mode or a weighted mix), and how long
each lives (`lifetime`, a named distribution in hours). `generate.py` expands them into
plain phones. Per-field rules that depend on another field (`dist`, the billing mix) are
raised here with the exact sub-path (`generate[1].lifetime.sigma`), like every other error.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BeforeValidator,
    Field,
    StrictInt,
    ValidationError,
    model_validator,
)

from sim.scenario.models import (MAX_QUANTITY, MAX_SECONDS, MAX_TERM, AutoRenew, Instant,
                                 Workload, _Model)

MODES = ("monthly", "yearly", "pay_per_use")
PREPAID_MODES = frozenset({"monthly", "yearly"})
MAX_PHONES_PER_GROUP = 100_000
MAX_HOURS = 50 * 366 * 24  # hours: a lifetime longer than the longest window is "forever"
MAX_RATE = 100_000  # arrivals per day


def _number(value: object) -> object:
    """A finite real number from an int, a Decimal (YAML with a dot) or a numeric string."""
    if isinstance(value, bool):
        raise ValueError("must be a number, not a boolean")
    if isinstance(value, (int, float, Decimal, str)):
        try:
            number = float(Decimal(value.strip()) if isinstance(value, str) else value)
        except Exception as exc:  # decimal.InvalidOperation, OverflowError
            raise ValueError(f"{value!r} is not a number") from exc
        if not math.isfinite(number):
            raise ValueError("must be a finite number")
        return number
    raise ValueError("must be a number")


Number = Annotated[float, BeforeValidator(_number)]
Hours = Annotated[Number, Field(gt=0, le=MAX_HOURS)]
"""A duration in hours, > 0."""


def _sub_error(title: str, errors: list[tuple[tuple, str]]) -> ValidationError:
    """A ValidationError at sub-paths of the model, so each message names its own key."""
    return ValidationError.from_exception_data(title, [
        {"type": "value_error", "loc": loc, "input": None, "ctx": {"error": ValueError(msg)}}
        for loc, msg in errors
    ])


# Keys each `dist` needs (all of them) and may take.
DIST_KEYS: dict[str, tuple[str, ...]] = {
    "fixed": ("hours",),
    "exponential": ("mean_hours",),
    "lognormal": ("mean_hours", "sigma"),
    "gamma": ("mean_hours", "shape"),
    "uniform": ("min_hours", "max_hours"),
}


class Distribution(_Model):
    """A named distribution of durations in hours.

    fixed {hours}; exponential {mean_hours}; lognormal {mean_hours, sigma: sd of the log};
    gamma {mean_hours, shape}; uniform {min_hours, max_hours}.
    """

    dist: Literal["fixed", "exponential", "lognormal", "gamma", "uniform"]
    hours: Hours | None = None
    mean_hours: Hours | None = None
    sigma: Annotated[Number, Field(gt=0, le=10)] | None = None
    shape: Annotated[Number, Field(gt=0, le=1000)] | None = None
    min_hours: Annotated[Number, Field(ge=0, le=MAX_HOURS)] | None = None
    max_hours: Hours | None = None

    @model_validator(mode="after")
    def _keys_of_dist(self) -> Distribution:
        needed = DIST_KEYS[self.dist]
        errors = [((key,), f"required by dist: {self.dist}")
                  for key in needed if getattr(self, key) is None]
        errors += [((key,), f"not used by dist: {self.dist} (it takes {', '.join(needed)})")
                   for key in ("hours", "mean_hours", "sigma", "shape", "min_hours", "max_hours")
                   if key not in needed and getattr(self, key) is not None]
        if (not errors and self.dist == "uniform" and self.max_hours <= self.min_hours):
            errors.append((("max_hours",), f"must be > min_hours ({self.min_hours:g})"))
        if errors:
            raise _sub_error("Distribution", errors)
        return self


def _billing(value: object) -> object:
    """One mode, or a mix {mode: weight}; weights >= 0, not all 0, normalised to sum 1."""
    if isinstance(value, str):
        if value not in MODES:
            raise ValueError(f"must be one of {', '.join(MODES)}, or a mix such as "
                             f"{{monthly: 0.5, pay_per_use: 0.5}}; got {value!r}")
        return value
    if not isinstance(value, dict) or not value:
        raise ValueError("must be a billing mode or a non-empty mix {mode: weight}")
    weights = {}
    for mode, weight in value.items():
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r} in the mix; use {', '.join(MODES)}")
        number = _number(weight)
        if number < 0:
            raise ValueError(f"weight of {mode} must be >= 0")
        weights[mode] = number
    total = sum(weights.values())
    if total <= 0:
        raise ValueError("the weights of the mix must not all be 0")
    return {mode: weight / total for mode, weight in weights.items()}


Billing = Annotated[str | dict[str, float], BeforeValidator(_billing)]


class ArrivalWindow(_Model):
    """When a group's phones arrive; each bound defaults to the scenario's window."""

    start: Instant | None = None
    end: Instant | None = None


class GenerateGroup(_Model):
    """A group of generated phones `<name>-1`, `<name>-2`, ... (in arrival order)."""

    name: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    spec: Annotated[str, Field(min_length=1, max_length=100)]
    billing: Billing
    """A mode, or a mix {monthly: 0.7, pay_per_use: 0.3}: each phone draws its own."""
    count: Annotated[StrictInt, Field(ge=0, le=MAX_PHONES_PER_GROUP)] | None = None
    """A fixed number of phones, arriving as `arrivals` says."""
    rate: Annotated[Number, Field(gt=0, le=MAX_RATE)] | None = None
    """Poisson arrivals per day over the window (the number of phones is random)."""
    arrivals: Literal["uniform", "start"] | None = None
    """With `count`: uniform over the window (default) or all at the window's start."""
    window: ArrivalWindow = ArrivalWindow()
    lifetime: Distribution | None = None
    """How long each phone is kept; absent = to the end of the simulation window."""
    quantity: Annotated[StrictInt, Field(ge=1, le=MAX_QUANTITY)] = 1
    term: Annotated[StrictInt, Field(ge=1, le=MAX_TERM)] | None = None
    pay_with: Literal["balance", "online"] | None = None
    auto_renew: AutoRenew | None = None
    provisioning: Annotated[StrictInt, Field(ge=0, le=MAX_SECONDS)] | None = None
    workload: Workload | None = None
    """What the group's phones run (seed §10); each phone carries it."""
    data_security: Literal["high"] | None = None

    @property
    def mix(self) -> dict[str, float]:
        """The billing modes with their probabilities."""
        return {self.billing: 1.0} if isinstance(self.billing, str) else dict(self.billing)

    @model_validator(mode="after")
    def _consistent(self) -> GenerateGroup:
        errors = []
        if self.count is None and self.rate is None:
            errors.append((("count",), "required: a fixed count, or a Poisson rate per day"))
        if self.count is not None and self.rate is not None:
            errors.append((("rate",), "give count or rate, not both"))
        if self.arrivals is not None and self.count is None:
            errors.append((("arrivals",), "only with count (rate means Poisson arrivals)"))
        modes = {mode for mode, p in self.mix.items() if p > 0}
        if not modes & PREPAID_MODES:
            errors += [((key,), "only for prepaid phones (monthly, yearly); the group's "
                                "billing has none")
                       for key in ("term", "pay_with", "auto_renew")
                       if getattr(self, key) is not None]
        if "pay_per_use" not in modes and self.provisioning is not None:
            errors.append((("provisioning",), "only for pay_per_use phones; the group's "
                                              "billing has none"))
        if errors:
            raise _sub_error("GenerateGroup", errors)
        return self

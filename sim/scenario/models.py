"""Typed, frozen models of a scenario file and a catalog; the single door for input.

Field names are the YAML keys of the interface contract
(`../shared/spec/scenario-and-outputs.md`); every model rejects unknown keys.
Cross-field checks (window, spec ids, duplicates) live in `checks.py`.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictInt,
)

# Bounds keep arithmetic and calendars finite for hostile input (issue 3).
MAX_MONEY = Decimal("1000000000000")  # 10^12 in the scenario's currency
MAX_TERM = 100  # months for monthly, years for yearly
MAX_QUANTITY = 1_000_000
MAX_DAYS = 3650
MAX_SECONDS = 366 * 86400


def _parse_money(value: object) -> object:
    """Accept Decimal, int or a numeric string; floats never reach here (see yaml_io)."""
    if isinstance(value, bool):
        raise ValueError("must be a number, not a boolean")
    if isinstance(value, float):
        # Only reachable from the Python API; go through repr to stay exact to what was typed.
        return Decimal(repr(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except Exception as exc:  # decimal.InvalidOperation
            raise ValueError(f"'{value}' is not a number") from exc
    return value


def _check_finite(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite number")
    # copy_abs, not abs(): abs() rounds in the context and overflows on 1e999999999.
    if value.copy_abs() > MAX_MONEY:
        raise ValueError(f"must be at most {MAX_MONEY} in absolute value")
    return value


def _places(n: int):
    def check(value: Decimal) -> Decimal:
        if value != value.quantize(Decimal(1).scaleb(-n)):
            raise ValueError(f"must have at most {n} decimal places")
        return value

    return check


def _to_cents(value: Decimal) -> Decimal:
    """Carry cents amounts with exactly 2 decimals, so 50 and 50.00 print alike."""
    return value.quantize(Decimal("0.01"))


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise ValueError("must be > 0")
    return value


def _non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError("must be >= 0")
    return value


Money = Annotated[Decimal, BeforeValidator(_parse_money), AfterValidator(_check_finite),
                  AfterValidator(_places(2)), AfterValidator(_to_cents)]
"""An amount in cents (2 decimals at most), may be negative (opening balance)."""
PositiveMoney = Annotated[Money, AfterValidator(_positive)]
NonNegativeMoney = Annotated[Money, AfterValidator(_non_negative)]
HourlyPrice = Annotated[Decimal, BeforeValidator(_parse_money), AfterValidator(_check_finite),
                        AfterValidator(_places(8)), AfterValidator(_non_negative)]
"""A pay-per-use hourly price: bill lines keep 8 decimals, so may the price."""
Rate = Annotated[Decimal, BeforeValidator(_parse_money), AfterValidator(_check_finite),
                 AfterValidator(_non_negative)]


_INSTANT_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}")


def _parse_instant(value: object) -> object:
    """A wall-clock time: a YAML timestamp or a 'YYYY-MM-DD HH:MM:SS' string."""
    if isinstance(value, dt.datetime):
        if value.microsecond:
            raise ValueError("times are whole seconds")
        return value
    if isinstance(value, str):
        text = value.strip()
        if _INSTANT_RE.fullmatch(text):
            # The usual spelling, parsed 30x faster than by strptime (which also takes
            # one-digit months and days: those still go the slow way below).
            try:
                return dt.datetime.fromisoformat(text)
            except ValueError:
                pass
        for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
            try:
                return dt.datetime.strptime(text, fmt)
            except ValueError:
                pass
        try:  # with an offset, e.g. 2023-02-08T15:50:04+08:00
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None and not parsed.microsecond:
            return parsed
        raise ValueError(f"'{value}' is not a time of the form YYYY-MM-DD HH:MM:SS")
    if isinstance(value, dt.date):
        raise ValueError("a time needs a time of day: YYYY-MM-DD HH:MM:SS")
    raise ValueError("must be a time of the form YYYY-MM-DD HH:MM:SS")


Instant = Annotated[dt.datetime, BeforeValidator(_parse_instant)]
"""Wall-clock time in the scenario's zone (naive), or an aware time converted to it."""


def _parse_clock_time(value: object) -> object:
    if isinstance(value, dt.time):
        return value
    if isinstance(value, str):
        try:
            return dt.datetime.strptime(value.strip(), "%H:%M:%S").time()
        except ValueError as exc:
            raise ValueError(f"'{value}' is not a time of day HH:MM:SS") from exc
    raise ValueError("must be a time of day 'HH:MM:SS' (quote it in YAML)")


ClockTime = Annotated[dt.time, BeforeValidator(_parse_clock_time)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Spec(_Model):
    """One instance spec of the catalog with its three list prices."""

    id: Annotated[str, Field(min_length=1, max_length=100)]
    edition: Literal["basic", "professional", "enterprise"]
    vcpus: Annotated[StrictInt, Field(ge=1, le=1024)]
    memory_gb: Annotated[StrictInt, Field(ge=1, le=65536)]
    storage_gb: Annotated[StrictInt, Field(ge=1, le=1048576)]
    monthly: NonNegativeMoney
    yearly: NonNegativeMoney
    hourly: HourlyPrice


class Catalog(_Model):
    """A price list: one currency, many specs."""

    currency: Annotated[str, Field(min_length=1, max_length=10)] = "USD"
    specs: Annotated[list[Spec], Field(min_length=1)]
    note: str | None = None

    def spec(self, spec_id: str) -> Spec:
        """The spec with that id (ids are checked unique at load)."""
        for spec in self.specs:
            if spec.id == spec_id:
                return spec
        raise KeyError(spec_id)


class Policy(_Model):
    """Policy options with the defaults of billing-rules.md."""

    grace_days: Annotated[StrictInt, Field(ge=0, le=MAX_DAYS)] = 15
    retention_days: Annotated[StrictInt, Field(ge=0, le=MAX_DAYS)] = 15
    ppu_grace_days: Annotated[StrictInt, Field(ge=0, le=MAX_DAYS)] = 15
    ppu_retention_days: Annotated[StrictInt, Field(ge=0, le=MAX_DAYS)] = 15
    alert_time: ClockTime = dt.time(9, 0, 0)
    auto_renew_days_before: Annotated[StrictInt, Field(ge=0, le=365)] = 7
    auto_renew_time: ClockTime = dt.time(0, 3, 0)
    bill_run: Literal["hourly", "daily", "monthly"] = "hourly"
    settlement_delay: Annotated[StrictInt, Field(ge=0, le=31 * 86400)] = 3600
    refund_rule: Literal["daily", "hourly"] = "daily"
    refund_fee_rate: Annotated[Rate, AfterValidator(lambda v: _le_one(v))] = Decimal(0)


def _le_one(value: Decimal) -> Decimal:
    if value > 1:
        raise ValueError("must be between 0 and 1")
    return value


class TopUp(_Model):
    """A scheduled credit to the balance."""

    at: Instant
    amount: PositiveMoney


class Account(_Model):
    """The one account of a scenario."""

    balance: Money = Decimal("0")
    balance_alert: NonNegativeMoney | None = None
    topups: list[TopUp] = []


class AutoRenew(_Model):
    """Auto-renewal settings: term in the phone's unit (months or years); times None = unlimited."""

    term: Annotated[StrictInt, Field(ge=1, le=MAX_TERM)] | None = None
    times: Annotated[StrictInt, Field(ge=1, le=100_000)] | None = None


ActionKind = Literal[
    "renew", "stop", "start", "enable_auto_renew", "disable_auto_renew",
    "change_billing", "unsubscribe", "delete",
]

# Which optional keys each `do` accepts (checked in checks.py with exact paths).
ACTION_FIELDS: dict[str, frozenset[str]] = {
    "renew": frozenset({"term", "align_day", "pay_with"}),
    "stop": frozenset(),
    "start": frozenset(),
    "enable_auto_renew": frozenset({"term", "times"}),
    "disable_auto_renew": frozenset(),
    "change_billing": frozenset({"when"}),
    "unsubscribe": frozenset(),
    "delete": frozenset(),
}


def _parse_align_day(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("must be a day 1..28 or 'last'")
    if isinstance(value, int):
        if not 1 <= value <= 28:
            raise ValueError("must be a day 1..28 or 'last'")
        return value
    if value == "last":
        return value
    raise ValueError("must be a day 1..28 or 'last'")


class Action(_Model):
    """One operation on a phone at an instant; which keys apply depends on `do`."""

    at: Instant
    do: ActionKind
    term: Annotated[StrictInt, Field(ge=1, le=MAX_TERM)] | None = None
    align_day: Annotated[int | str, BeforeValidator(_parse_align_day)] | None = None
    pay_with: Literal["balance", "online"] | None = None
    times: Annotated[StrictInt, Field(ge=1, le=100_000)] | None = None
    when: Literal["now", "at_expiry"] | None = None


Workload = Literal["office", "games", "video", "testing"]


class Phone(_Model):
    """A phone order: prepaid purchase or pay-per-use creation, plus its later actions."""

    id: Annotated[str, Field(min_length=1, max_length=200)]
    spec: Annotated[str, Field(min_length=1, max_length=100)]
    quantity: Annotated[StrictInt, Field(ge=1, le=MAX_QUANTITY)] = 1
    billing: Literal["monthly", "yearly", "pay_per_use"]
    term: Annotated[StrictInt, Field(ge=1, le=MAX_TERM)] | None = None
    at: Instant
    pay_with: Literal["balance", "online"] | None = None
    provisioning: Annotated[StrictInt, Field(ge=0, le=MAX_SECONDS)] | None = None
    auto_renew: AutoRenew | None = None
    actions: list[Action] = []
    group: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    """Name of the generated group this phone belongs to (set by `generate:`), if any."""
    workload: Workload | None = None
    """What the phone runs (seed §10): recommend then advises its spec."""
    data_security: Literal["high"] | None = None
    """`high`: application and data security control matter (seed §10: enterprise)."""

    @property
    def prepaid(self) -> bool:
        return self.billing != "pay_per_use"


# Imported here, not at the top: generate_models builds on the types defined above.
from sim.scenario.generate_models import GenerateGroup  # noqa: E402


TablePath = Annotated[str, Field(min_length=1, max_length=4096)]
"""A table file, relative to the scenario's folder: `.csv` or `.parquet`."""


class Scenario(_Model):
    """A whole scenario: window, zone, catalog, policy, account and phones."""

    name: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    timezone: Annotated[str, Field(min_length=1, max_length=100)] = "Asia/Shanghai"
    start: Instant
    end: Instant
    currency: Annotated[str, Field(min_length=1, max_length=10)] = "USD"
    catalog: Catalog
    policy: Policy = Policy()
    account: Account = Account()
    phones: list[Phone] = []
    phones_table: TablePath | None = None
    """A CSV or Parquet file of more phones, one row each (fleet_tables.py); the loader
    adds them to `phones` and clears this key."""
    actions_table: TablePath | None = None
    """A CSV or Parquet file of actions, one row each, naming their phone."""
    usage_table: TablePath | None = None
    """A session log (phone, start, end[, spec]) to replay (usage_replay.py); the loader
    adds its phones to `phones`, clears this key and keeps the log in `sessions`."""
    usage_billing: Literal["pay_per_use", "monthly", "yearly"] = "pay_per_use"
    """How `run` replays the log; `compare` replays it in every mode."""
    usage_spec: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    """The spec of the sessions whose row gives none."""
    _sessions: object = PrivateAttr(default=None)
    seed: Annotated[StrictInt, Field(ge=0, le=2**63 - 1)] | None = None
    generate: list[GenerateGroup] = []
    """Groups of random phones, expanded per replication from `seed` (generate.py)."""
    description: str | None = None

    @property
    def sessions(self):
        """The replayed session log (usage_replay.Sessions), or None."""
        return self._sessions

    def phone(self, phone_id: str) -> Phone:
        for phone in self.phones:
            if phone.id == phone_id:
                return phone
        raise KeyError(phone_id)

"""Exact money: Decimal in, Decimal out; rounding only where a rule says so.

Pay-per-use amounts are carried as integers of 1e-8 (the bill-line precision) inside the
engine so that millions of lines stay exact and fast; they become Decimal at the edges.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
E8 = 10**8
_E8_EXP = Decimal(1).scaleb(-8)


def cents(value: Decimal) -> Decimal:
    """Round half-up to cents (orders, refunds, day-priced extras: billing-rules §1)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def to_e8(value: Decimal) -> int:
    """An amount with at most 8 decimals as an integer count of 1e-8."""
    scaled = value.scaleb(8)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more than 8 decimals")
    return int(scaled)


def from_e8(value: int) -> Decimal:
    """Integer count of 1e-8 back to an exact Decimal with 8 decimals."""
    return Decimal(value).scaleb(-8).quantize(_E8_EXP)


def line_e8(rate_e8: int, seconds: int) -> int:
    """One bill line: hourly rate x seconds / 3600, rounded half-up to 8 decimals (§4)."""
    # (2*r*s + 3600) // 7200 is round-half-up of r*s/3600 for non-negative integers.
    return (2 * rate_e8 * seconds + 3600) // 7200


def fmt(value: Decimal) -> str:
    """A money string: 2 decimals when the value is whole cents, else 8; never exponent form."""
    if value == value.quantize(CENT):
        return format(value.quantize(CENT), "f")
    return format(value.quantize(_E8_EXP, rounding=ROUND_HALF_UP), "f")


def fmt_e8(value: int) -> str:
    """An integer count of 1e-8 as a string with exactly 8 decimals (bill lines)."""
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), E8)
    return f"{sign}{whole}.{frac:08d}"

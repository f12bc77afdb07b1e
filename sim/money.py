"""Exact money: Decimal in, Decimal out; rounding only where a rule says so.

Pay-per-use amounts are carried as integers of 1e-8 (the bill-line precision) inside the
engine so that millions of lines stay exact and fast; they become Decimal at the edges.
"""

from __future__ import annotations

from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_HALF_UP, Context, Decimal, Inexact
from decimal import InvalidOperation
from fractions import Fraction

CENT = Decimal("0.01")
E8 = 10**8
_E8_EXP = Decimal(1).scaleb(-8)

Exact = Decimal | Fraction | int
"""An exact amount: a Decimal as written, an integer, or a Fraction (a quotient kept whole)."""

EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[Inexact, InvalidOperation])
"""Context for multiplying money before the one division (`with localcontext(EXACT):`): no
product or sum is ever rounded; one that would be raises Inexact instead."""


def round_half_up(value: Exact, places: int = 2, divisor: int = 1) -> Decimal:
    """`value / divisor` rounded half-up (ties away from zero) to `places` decimals, exactly.

    The one place money is rounded (billing-rules §7.18): callers multiply first (or keep a
    Fraction) and divide and round once, here, on integers. A 28-digit Decimal quotient
    taken first would turn 40.25 - 40.25/30 x 21 = 12.075 into 12.07499... -> 12.07.
    """
    num, den = value.as_integer_ratio()
    den *= divisor
    if den < 0:
        num, den = -num, -den
    whole = (2 * abs(num) * 10**places + den) // (2 * den)  # floor(|x| + 1/2)
    return Decimal(-whole if num < 0 else whole).scaleb(-places, context=EXACT)


def cents(value: Exact, divisor: int = 1) -> Decimal:
    """`value / divisor` rounded half-up to cents (orders, refunds, extras, statements)."""
    return round_half_up(value, 2, divisor)


def e8(value: Exact) -> Decimal:
    """Round half-up to 8 decimals, the bill lines' precision (accrued views, statistics)."""
    return round_half_up(value, 8)


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
    return format(e8(value), "f")


def fmt_e8(value: int) -> str:
    """An integer count of 1e-8 as a string with exactly 8 decimals (bill lines)."""
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), E8)
    return f"{sign}{whole}.{frac:08d}"

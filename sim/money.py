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


def e8_sums(keys: list[int], nums: list[Exact], dens: list[int]) -> dict[int, Decimal]:
    """Per key, the exact sum of its `num / den` terms rounded half-up to 8 decimals, once.

    The same as adding the terms as Fractions and calling `e8`, without Fractions: adding
    thousands of quotients with unrelated denominators (seconds of orders) made Fraction
    normalise ever larger integers (6 s for the monthly view of 100,000 phones). Each term
    is split into whole units of 1e-8 and a remainder r/Q in [0, 1); the remainders' sum
    is bounded to within `terms` x 2^-64 from 64-bit floors, which decides the rounding
    unless the sum lies that close to a rounding boundary; only then is it added exactly.
    """
    acc: dict[int, list[int]] = {}  # key -> [whole units, sum of floor(r * 2^64 / Q), terms]
    for k, num, den in zip(keys, nums, dens):
        p, q = num.as_integer_ratio()
        big_q = q * den
        whole, rest = divmod(p * E8, big_q)
        a = acc.get(k)
        if a is None:
            acc[k] = [whole, (rest << 64) // big_q, 1]
        else:
            a[0] += whole
            a[1] += (rest << 64) // big_q
            a[2] += 1
    out = {}
    for k, (whole, low, terms) in acc.items():
        units = _round_units(whole, low, terms)
        if units is None:  # too close to a boundary to decide from the floors: exactly
            exact = sum((Fraction(n) / d for kk, n, d in zip(keys, nums, dens) if kk == k),
                        Fraction(0))
            units = int(round_half_up(exact * E8, 0))
        out[k] = Decimal(units).scaleb(-8, context=EXACT)
    return out


def _round_units(whole: int, low: int, terms: int) -> int | None:
    """Round whole + F half-up (ties away from zero), F in [low, low + terms) / 2^64; None
    if those bounds do not decide it."""
    one, half = 1 << 64, 1 << 63
    lo, hi = whole * one + low, whole * one + low + terms  # the sum x 2^64 is in [lo, hi)
    if lo >= 0:  # floor(x + 1/2)
        a, b = (lo + half) >> 64, (hi + half) >> 64
    elif hi <= 0:  # ceil(x - 1/2)
        a, b = -((half - lo) >> 64), -((half - hi) >> 64)
    else:
        return None
    return a if a == b else None


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

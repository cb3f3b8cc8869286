"""Numbers as a slide writes them: 1.5·10⁻², 0.15, 3.2, 41 — never 1.496e+0.

Two significant digits are what a room can read and compare; more are used only where two values
shown together would otherwise print alike (:func:`digits_to_tell_apart`). The lecture page's
script has the same formatter (``tinygradRnnNumber`` in lecture_numbers.js) and the tests run both on
the same cases, so the equations written here and the bars drawn there print a number alike.

Rounding is half away from zero on the exact binary value, as JavaScript's ``toExponential``
rounds, so the two agree even on ties (0.125 → 0.13 in both).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, localcontext

SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
MINUS = "−"  # the typeset minus sign, not the hyphen
PLAIN_EXPONENTS = range(-1, 3)  # 0.15 … 990 are written plainly; 0.015 and 1,500 with a power of ten
MOST_DIGITS = 4  # values closer than this are the same number on a slide


def slide_number(value: float, digits: int = 2) -> str:
    """``value`` with ``digits`` significant digits, as a slide writes it.

    >>> [slide_number(v) for v in (0.01496, 0.1496, 3.21, 41.0, 1496.0, -2.5e-7, 0.0)]
    ['1.5·10⁻²', '0.15', '3.2', '41', '1.5·10³', '−2.5·10⁻⁷', '0']
    >>> slide_number(0.99951, 3), slide_number(999.6)   # rounding may carry into the next power of ten
    ('1.00', '1.0·10³')
    """
    value = float(value)
    if value != value:
        return "NaN"
    sign = MINUS if value < 0 else ""
    if value == 0 or abs(value) == float("inf"):
        return "0" if value == 0 else sign + "∞"
    with localcontext() as exact_arithmetic:
        exact_arithmetic.prec = 1100  # every digit of a double (at most 767), so nothing is rounded twice
        exact = Decimal(abs(value))  # the binary value exactly, so rounding matches JavaScript's
        exponent = exact.adjusted()
        step = Decimal(1).scaleb(1 - digits)
        rounded = exact.scaleb(-exponent).quantize(step, rounding=ROUND_HALF_UP)
        if rounded >= 10:  # 9.96 → 10.0: one more power of ten
            exponent += 1
            rounded = (rounded / 10).quantize(step, rounding=ROUND_HALF_UP)
    figures = str(rounded).replace(".", "")  # the significant digits, e.g. "15"
    if exponent in PLAIN_EXPONENTS:
        return sign + _plain(figures, exponent)
    mantissa = figures[0] + ("." + figures[1:] if len(figures) > 1 else "")
    return f"{sign}{mantissa}·10{str(exponent).translate(SUPERSCRIPT)}"


def _plain(figures: str, exponent: int) -> str:
    """The digits ``figures`` (d₀d₁…) times 10^exponent, written without an exponent."""
    if exponent < 0:
        return "0." + "0" * (-exponent - 1) + figures
    whole = figures[:exponent + 1].ljust(exponent + 1, "0")
    fraction = figures[exponent + 1:]
    return whole + ("." + fraction if fraction else "")


def digits_to_tell_apart(values: Sequence[float], digits: int = 2) -> int:
    """The fewest significant digits (at least ``digits``, at most 4) at which values that differ
    print differently — so a vector's entries, or a row of bars, never show two equal labels for
    two different numbers.

    >>> digits_to_tell_apart([0.1512, 0.1549, 3.0]), digits_to_tell_apart([0.15, 0.15, 3.0])
    (3, 2)
    """
    distinct = sorted(set(float(v) for v in values))
    while digits < MOST_DIGITS and len({slide_number(v, digits) for v in distinct}) < len(distinct):
        digits += 1
    return digits


__all__ = ["slide_number", "digits_to_tell_apart"]

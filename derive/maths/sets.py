"""Comparing two solution sets exactly: intervals (and unions of them) with symbolic ends.

Ends are proved equal (``is_zero`` of their difference) or ordered (the sign of the
difference under the symbols' assumptions); openness is compared end by end. A difference
comes with a witness, a value in one set and not the other, at the end where they differ:

>>> import sympy as sp
>>> lam = sp.Symbol("lambda", positive=True)
>>> d = compare_sets(sp.Interval.Lopen(0, 2 / lam), sp.Interval.open(0, 2 / lam))
>>> d.equal, d.witness, d.in_first, d.end
(False, 2/lambda, True, 'upper')
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .zero import is_zero

__all__ = ["SetDifference", "compare_sets", "intervals_of"]


@dataclass(frozen=True)
class SetDifference:
    """equal: True (proved), False (witness found) or None (could not decide exactly)."""
    equal: bool | None
    witness: sp.Expr | None = None   # in the first set and not the second, or the reverse
    in_first: bool | None = None     # True: the witness is in the first set only
    end: str | None = None           # "lower" or "upper": which end of which interval differs
    reason: str = ""                 # "closed" (one includes the end), "shifted", "missing"


def intervals_of(s: sp.Set) -> list[sp.Interval] | None:
    """A set as a list of intervals (points as degenerate closed intervals), or None."""
    if s is sp.S.EmptySet:
        return []
    if isinstance(s, sp.Interval):
        return [s]
    if s == sp.S.Reals:
        return [sp.Interval(-sp.oo, sp.oo)]
    if isinstance(s, sp.FiniteSet):
        return [sp.Interval(p, p) for p in s.args]
    if isinstance(s, sp.Union):
        out = []
        for a in s.args:
            part = intervals_of(a)
            if part is None:
                return None
            out += part
        return out
    return None


def _sign(x) -> int | None:
    """-1, 0 or 1 for the sign of x under its symbols' assumptions; None if unknown."""
    if x == 0:
        return 0
    if x.is_infinite:
        return 1 if x.is_extended_positive else -1
    if is_zero(x, None):
        return 0
    for form in (x, sp.simplify(x), sp.factor(sp.together(x))):
        if form.is_positive:
            return 1
        if form.is_negative:
            return -1
    return None


def _between(a, b):
    """A value strictly between two ends a < b (either may be infinite)."""
    if a.is_infinite and b.is_infinite:
        return sp.S.Zero
    if a.is_infinite:
        return b - 1
    if b.is_infinite:
        return a + 1
    return sp.simplify((a + b) / 2)


def _compare_intervals(a: sp.Interval, b: sp.Interval) -> SetDifference:
    # Lower ends.
    s = _sign(a.inf - b.inf)
    if s is None:
        return SetDifference(None)
    if s == 0:
        if a.left_open != b.left_open and a.inf.is_finite:
            return SetDifference(False, a.inf, not a.left_open, "lower", "closed")
    else:
        low, high = (a, b) if s < 0 else (b, a)
        # The values between the two lower ends lie in the set that starts lower only.
        # (When the two sets' order is unknown, they are taken to overlap, the usual case.)
        upper = low.sup if _sign(high.inf - low.sup) == 1 else high.inf
        return SetDifference(False, _between(low.inf, upper), s < 0, "lower", "shifted")
    # Upper ends.
    s = _sign(a.sup - b.sup)
    if s is None:
        return SetDifference(None)
    if s == 0:
        if a.right_open != b.right_open and a.sup.is_finite:
            return SetDifference(False, a.sup, not a.right_open, "upper", "closed")
        return SetDifference(True)
    low, high = (a, b) if s < 0 else (b, a)
    lower = high.inf if _sign(high.inf - low.sup) == 1 else low.sup
    return SetDifference(False, _between(lower, high.sup), s > 0, "upper", "shifted")


def compare_sets(first: sp.Set, second: sp.Set) -> SetDifference:
    """Compare two sets of reals exactly (see the module docstring)."""
    if first == second:
        return SetDifference(True)
    a, b = intervals_of(first), intervals_of(second)
    if a is None or b is None:
        return SetDifference(None)
    if len(a) != len(b):
        if not a or not b:
            some = (a or b)[0]
            inside = _between(some.inf, some.sup) if some.inf != some.sup else some.inf
            return SetDifference(False, inside, bool(a), "lower", "missing")
        return SetDifference(None)
    for x, y in zip(a, b):
        d = _compare_intervals(x, y)
        if d.equal is not True:
            return d
    return SetDifference(True)

"""Proving a claimed result equal to a derived one, entry by entry, under a time budget.

Scalar entries go to the zero test of :mod:`derive.maths.zero`; conditions (step-size
bounds) are compared as sets by :mod:`derive.maths.inequalities`.
"""
from __future__ import annotations

import time

import sympy as sp

from ..maths.inequalities import same_set
from ..maths.zero import entries, is_zero, time_limit
from ..model.functions import is_condition

__all__ = ["difference_is_zero", "entries", "is_zero", "time_limit"]


def difference_is_zero(a, b, subs: list[dict], budget: float) -> tuple[bool | None, int | None]:
    """Prove a == b entry by entry after applying each substitution in turn.

    Returns (True, None) if proved, (None, k) with the first unproved entry k otherwise.
    """
    left, right = entries(a), entries(b)
    if len(left) != len(right):
        return False, None
    deadline = time.monotonic() + budget
    for k, (x, y) in enumerate(zip(left, right)):
        for s in subs:
            if s:
                x, y = ((e.xreplace(s) if all(isinstance(key, sp.Symbol) for key in s) else e.subs(s))
                        for e in (x, y))
        remaining = max(deadline - time.monotonic(), 0.05)
        if is_condition(x) or is_condition(y):  # conditions (step-size bounds) compare as sets
            if same_set(x, y, remaining) is not True:
                return None, k
            continue
        if is_zero(x - y, remaining) is not True:
            return None, k
    return True, None

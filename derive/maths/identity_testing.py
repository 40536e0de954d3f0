"""Polynomial identity testing: is a - b zero, for rational functions a and b, without
expanding them? (Schwartz-Zippel.)

Write a - b = P / Q with polynomials P, Q. If P is not the zero polynomial, it vanishes at a
point drawn uniformly from S^n, for a set S of integers, with probability at most
deg(P) / |S|. :func:`degree_bound` bounds deg(P) from the expression tree without expanding
anything; evaluating a - b exactly (SymPy rationals) at ``trials`` independent random points
where Q does not vanish then proves a == b except with probability at most
(deg(P) / |S|) ** trials, which is stated with the seed that reproduces the draw.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from .sums import expression

__all__ = ["IdentityTest", "degree_bound", "rational_identity"]

SPAN = 2 ** 62            # S = {-2^62, ..., 2^62 - 1}
MAX_ERROR = 1e-12         # the largest chance of a wrong "equal" this route accepts


@dataclass(frozen=True)
class IdentityTest:
    equal: bool              # every trial gave exactly zero (so equal but for ``error``)
    error: float             # chance that a nonzero difference gave zero at every trial
    trials: int
    seed: int


def degree_bound(expr) -> tuple[int, int] | None:
    """(numerator, denominator) degree bounds of a rational function written as this tree,
    or None when the tree is not a rational function of its symbols."""
    if expr.is_Number:
        return (0, 0)
    if expr.is_Symbol:
        return (1, 0)
    if expr.is_Add:
        parts = [degree_bound(a) for a in expr.args]
        if None in parts:
            return None
        den = sum(d for _, d in parts)
        return (max(n + den - d for n, d in parts), den)
    if expr.is_Mul:
        parts = [degree_bound(a) for a in expr.args]
        if None in parts:
            return None
        return (sum(n for n, _ in parts), sum(d for _, d in parts))
    if expr.is_Pow and expr.exp.is_Integer:
        base = degree_bound(expr.base)
        if base is None:
            return None
        k = int(expr.exp)
        return (k * base[0], k * base[1]) if k >= 0 else (-k * base[1], -k * base[0])
    return None


def rational_identity(a, b, seed: int, trials: int = 2) -> IdentityTest | None:
    """Whether a == b for rational functions a, b of the same symbols (None when either is
    not one, or its degree is too large for the bound to mean anything)."""
    a, b = expression(a), expression(b)
    da, db = degree_bound(a), degree_bound(b)
    if da is None or db is None:
        return None
    degree = da[0] + db[1] + db[0] + da[1]   # numerator of a - b over the common denominator
    per_trial = max(degree, 1) / (2 * SPAN)
    error = per_trial ** trials
    if error > MAX_ERROR:
        return None
    symbols = sorted((a - b).free_symbols, key=str)
    rng = np.random.default_rng(seed)
    done = 0
    for _ in range(4 * trials):   # redraw a point where a denominator vanishes
        point = {s: sp.Integer(int(rng.integers(-SPAN, SPAN))) for s in symbols}
        try:
            left, right = a.xreplace(point), b.xreplace(point)
        except ZeroDivisionError:
            continue
        if not (left.is_Rational and right.is_Rational):
            continue   # a zero denominator (zoo or nan): not a point of the domain
        if left != right:
            return IdentityTest(False, 0.0, done + 1, seed)
        done += 1
        if done == trials:
            return IdentityTest(True, error, trials, seed)
    return None

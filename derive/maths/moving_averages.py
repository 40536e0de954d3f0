"""Exponential moving averages x_t = b x_{t-1} + (1 - b) s_t from x_0 = 0, in SymPy.

Adam's moment estimates are two of them, and so are batch norm's running statistics.
The closed form for a symbolic t is derived by
:func:`derive.maths.recurrences.solve_first_order`, not typed in; the other helpers take it at
an explicit t, iterate the recurrence, write the unrolled sum, and take its mean under
stationary inputs. The NumPy loop that checks them is :func:`derive.verify.dynamics.moving_average`.

>>> import sympy as sp
>>> b, mu, s = sp.Symbol("b", positive=True), sp.Symbol("mu"), sp.IndexedBase("s")
>>> t = sp.Symbol("t", integer=True, nonnegative=True)
>>> ema(b, s, t)
(1 - b)*Sum(b**(-i + t)*s[i], (i, 1, t))
>>> sp.simplify(ema_mean(b, mu, s, t) - (1 - b**t) * mu)
0
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable, Sequence

import sympy as sp

from .recurrences import expect_linear, instantiate, solve_first_order, without_degenerate_branches

__all__ = ["ema", "ema_at", "ema_iterated", "ema_mean", "step_sum"]


@lru_cache(maxsize=None)
def ema(b, sequence: sp.IndexedBase, t: sp.Symbol):
    """x_t for symbolic t, solved from the recurrence: (1 - b) sum_{i=1}^t b^(t-i) s_i."""
    return solve_first_order(b, lambda i: (1 - b) * sequence[i], 0, t)


def ema_at(b, sequence: sp.IndexedBase, t: sp.Symbol, n, values: Sequence | None = None):
    """The solved x_t at t = n; with ``values`` (s_1..s_n) the sum is written out in them."""
    if values is None:
        return ema(b, sequence, t).subs(t, n)
    return instantiate(ema(b, sequence, t), t, n, sequence, list(values))


def ema_mean(b, mean, sequence: sp.IndexedBase, t: sp.Symbol):
    """E[x_t] when every s_i has mean ``mean`` and 0 < b < 1: linearity, then the geometric sum."""
    expected = expect_linear(ema(b, sequence, t), sequence, lambda i: mean)
    return sp.factor(without_degenerate_branches(expected.doit(), b, 0, 1))


def ema_iterated(b, values: Sequence, corrected: bool = False) -> list:
    """x_1, ..., x_n by iterating the recurrence on s_1..s_n = ``values``; with
    ``corrected``, each divided by its bias-correction factor 1 - b^t."""
    x, out = sp.S.Zero, []
    for t, s in enumerate(values, 1):
        x = b * x + (1 - b) * s
        out.append(x / (1 - b ** t) if corrected else x)
    return out


def step_sum(term: Callable, values, upto):
    """sum_{i=1}^{upto} term(i, s_i): written out at an integer ``upto`` (``values`` lists
    s_1, s_2, ...), a Sum at a symbolic one (``values[i]`` is s_i)."""
    if isinstance(upto, int):
        return sum((term(k, values[k - 1]) for k in range(1, upto + 1)), sp.S.Zero)
    i = sp.Symbol("i", integer=True, positive=True)
    return sp.Sum(term(i, values[i]), (i, 1, upto))

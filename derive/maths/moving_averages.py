"""Exponential moving averages x_t = b x_{t-1} + (1 - b) s_t from x_0 = 0, in SymPy.

Adam's moment estimates are two of them, and so are batch norm's running statistics.
The closed form for a symbolic t is derived by
:func:`derive.maths.recurrences.solve_first_order`, not typed in; the other helpers take it at
an explicit t, iterate the recurrence, write the unrolled sum, and take its mean under
stationary inputs; Adam's update built on two of them is iterated, unrolled and sized at its
first step. The NumPy loop that checks them is :func:`derive.verify.dynamics.moving_average`.

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

__all__ = ["adam_closed_form", "adam_first_step", "adam_trajectory", "ema", "ema_at", "ema_iterated", "ema_mean",
           "in_unit_interval", "moment", "step_sum"]


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


# ----------------------------------------------------------------------------- Adam
# Iterating the update (adam_trajectory) and unrolling it (adam_closed_form) are two derivations
# of the same numbers, which a proof sets equal.
def moment(b, values, power: int, t):
    """(1 - b) sum_{i <= t} b^(t-i) g_i^power: Adam's moment at step t, unrolled."""
    return (1 - b) * step_sum(lambda i, g: b ** (t - i) * g ** power, values, t)


def adam_trajectory(theta_0, grads: Sequence, alpha, beta_1, beta_2, eps) -> sp.Matrix:
    """theta_1..theta_T by iterating Adam's update equations from m_0 = v_0 = 0."""
    m = s = sp.S.Zero
    theta, out = theta_0, []
    for t, g in enumerate(grads, 1):
        m = sp.expand(beta_1 * m + (1 - beta_1) * g)
        s = sp.expand(beta_2 * s + (1 - beta_2) * g ** 2)
        theta = theta - alpha * (m / (1 - beta_1 ** t)) / (sp.sqrt(s / (1 - beta_2 ** t)) + eps)
        out.append(theta)
    return sp.Matrix(out)


def adam_closed_form(theta_0, grads, alpha, beta_1, beta_2, eps, steps: int | None = None):
    """theta_t = theta_0 - alpha sum_{s <= t} mhat_s / (sqrt(vhat_s) + eps), the moments unrolled:
    at every t = 1..``steps`` as a column, or for a symbolic t when ``steps`` is None."""
    general = steps is None

    def hat(b, power, upto):
        total = moment(b, grads, power, upto)
        return (total if general else sp.expand(total)) / (1 - b ** upto)

    def update(upto):
        return hat(beta_1, 1, upto) / (sp.sqrt(hat(beta_2, 2, upto)) + eps)
    if general:
        s = sp.Symbol("s", integer=True, positive=True)
        return theta_0 - alpha * sp.Sum(update(s), (s, 1, sp.Symbol("t", integer=True, positive=True)))
    return sp.Matrix([theta_0 - alpha * sum(update(u) for u in range(1, t + 1)) for t in range(1, steps + 1)])


def in_unit_interval(expr, *betas):
    """Simplify knowing 0 < beta < 1: SymPy reasons with gap = 1 - beta > 0."""
    gaps = {b: sp.Dummy(f"gap_{b}", positive=True) for b in betas}
    simpler = sp.simplify(expr.xreplace({b: 1 - gap for b, gap in gaps.items()}))
    return sp.simplify(simpler.xreplace({gap: 1 - b for b, gap in gaps.items()}))


def adam_first_step(alpha, beta_1, beta_2, g_1, correct: bool):
    """|theta_1 - theta_0| after one Adam step from m_0 = v_0 = 0 with eps = 0."""
    m1 = (1 - beta_1) * g_1
    s1 = (1 - beta_2) * g_1 ** 2
    if correct:
        m1, s1 = m1 / (1 - beta_1), s1 / (1 - beta_2)
    return in_unit_interval(sp.Abs(alpha * m1 / sp.sqrt(s1)), beta_1, beta_2)

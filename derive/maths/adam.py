"""Adam in SymPy: its moments unrolled, the trajectory by iterating the update equations, the
closed form of every step, and the size of the first step.

Iterating (:func:`trajectory`) and unrolling (:func:`closed_form`) are two derivations of the
same numbers, which a proof sets equal; the unrolled moments are written with
:func:`derive.maths.moving_averages.step_sum`, out in full at explicit values and as a ``Sum``
at a symbolic step.

>>> import sympy as sp
>>> b, g = sp.symbols("b g_1")
>>> moment(b, [g], 1, 1)
g_1*(1 - b)
"""
from __future__ import annotations

from typing import Sequence

import sympy as sp

from .moving_averages import step_sum

__all__ = ["closed_form", "first_step", "in_unit_interval", "moment", "trajectory"]


def moment(b, values, power: int, t):
    """(1 - b) sum_{i <= t} b^(t-i) g_i^power: Adam's moment at step t, unrolled."""
    return (1 - b) * step_sum(lambda i, g: b ** (t - i) * g ** power, values, t)


def trajectory(theta_0, grads: Sequence, alpha, beta_1, beta_2, eps) -> sp.Matrix:
    """theta_1..theta_T by iterating Adam's update equations from m_0 = v_0 = 0."""
    m = s = sp.S.Zero
    theta, out = theta_0, []
    for t, g in enumerate(grads, 1):
        m = sp.expand(beta_1 * m + (1 - beta_1) * g)
        s = sp.expand(beta_2 * s + (1 - beta_2) * g ** 2)
        theta = theta - alpha * (m / (1 - beta_1 ** t)) / (sp.sqrt(s / (1 - beta_2 ** t)) + eps)
        out.append(theta)
    return sp.Matrix(out)


def closed_form(theta_0, grads, alpha, beta_1, beta_2, eps, steps: int | None = None):
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


def first_step(alpha, beta_1, beta_2, g_1, correct: bool):
    """|theta_1 - theta_0| after one Adam step from m_0 = v_0 = 0 with eps = 0."""
    m1 = (1 - beta_1) * g_1
    s1 = (1 - beta_2) * g_1 ** 2
    if correct:
        m1, s1 = m1 / (1 - beta_1), s1 / (1 - beta_2)
    return in_unit_interval(sp.Abs(alpha * m1 / sp.sqrt(s1)), beta_1, beta_2)
